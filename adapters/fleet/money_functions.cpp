#include "adapters/fleet/money_functions.h"

#include "adapters/redis/key_slot.h"
#include "base/strings.h"

namespace vetrina::fleet {

const std::string_view kMoneyFunctions = R"lua(#!lua name=vetrina_money
-- A fleet's campaign accounts (adapters/money/lease_keeper.h). One hash per campaign:
--   daily, lifetime          budgets in USD micros (0: none), as the last caller stated them
--   day                      UTC day (days since the epoch, Redis' clock) of settled_day
--   settled_day, settled_life  spend committed so far
--   l:<lease>:out            granted to the lease and not yet committed
--   l:<lease>:cum            charges committed from the lease so far (what its holder reported)
--   l:<lease>:hold           Unix ms until which the lease's money stays held
-- The invariant, kept by every function: settled + the sum of l:*:out <= budget, for the day
-- and the lifetime.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function load(key, now)
  local flat = redis.call('HGETALL', key)
  local a = {daily = 0, lifetime = 0, day = 0, settled_day = 0, settled_life = 0, leases = {}}
  for i = 1, #flat, 2 do
    local name, part = string.match(flat[i], '^l:(.+):(%a+)$')
    if name then
      local l = a.leases[name] or {out = 0, cum = 0, hold = 0}
      l[part] = tonumber(flat[i + 1])
      a.leases[name] = l
    else
      a[flat[i]] = tonumber(flat[i + 1])
    end
  end
  local today = math.floor(now / 86400000)
  if a.day ~= today then
    a.day = today
    a.settled_day = 0
  end
  return a
end

local function leased(a)
  local sum, count = 0, 0
  for _, l in pairs(a.leases) do
    sum = sum + l.out
    count = count + 1
  end
  return sum, count
end

-- What may still be leased; -1 without any budget.
local function free(a)
  local out = leased(a)
  local f = -1
  if a.lifetime > 0 then f = math.max(0, a.lifetime - a.settled_life - out) end
  if a.daily > 0 then
    local d = math.max(0, a.daily - a.settled_day - out)
    if f < 0 or d < f then f = d end
  end
  return f
end

local function holds(a)
  local out = leased(a)
  return (a.lifetime <= 0 or a.settled_life + out <= a.lifetime) and
         (a.daily <= 0 or a.settled_day + out <= a.daily)
end

local function save(key, a, names)
  redis.call('HSET', key, 'daily', a.daily, 'lifetime', a.lifetime, 'day', a.day,
             'settled_day', a.settled_day, 'settled_life', a.settled_life)
  for _, name in ipairs(names) do
    local l = a.leases[name]
    if l then
      redis.call('HSET', key, 'l:' .. name .. ':out', l.out, 'l:' .. name .. ':cum', l.cum,
                 'l:' .. name .. ':hold', l.hold)
    else
      redis.call('HDEL', key, 'l:' .. name .. ':out', 'l:' .. name .. ':cum', 'l:' .. name .. ':hold')
    end
  end
end

-- Moves what the lease has been charged since its last commit into settled spend.
local function commit(a, l, cum)
  local delta = cum - l.cum
  if delta <= 0 then return end
  a.settled_life = a.settled_life + delta
  a.settled_day = a.settled_day + delta
  l.out = math.max(0, l.out - delta)
  l.cum = cum
end

-- FCALL vt_lease N account... ARGV: per account lease, known (1: granted before), want,
-- daily, lifetime, cum, hold, min_grant, shrink.
-- Commits each lease's charges, then shrinks it by `shrink` (what its holder already took out
-- of its own room) or grows it toward `want` (by at most a quarter of what is free, or by
-- min_grant when that is less than everything free), and holds it until `hold`.
-- Reply: now, then per account {status (0 ok, 1 the lease is gone, 2 the invariant does not
-- hold), out, settled_life, settled_day, leased, leases, {expired lease, ...}}.
local function vt_lease(keys, args)
  local now = now_ms()
  local reply = {now}
  for i, key in ipairs(keys) do
    local base = (i - 1) * 9
    local name, known = args[base + 1], args[base + 2] == '1'
    local want, cum, hold = tonumber(args[base + 3]), tonumber(args[base + 6]), tonumber(args[base + 7])
    local min_grant, shrink = tonumber(args[base + 8]), tonumber(args[base + 9])
    local a = load(key, now)
    a.daily, a.lifetime = tonumber(args[base + 4]), tonumber(args[base + 5])
    local l = a.leases[name]
    local status = 0
    if l == nil and known then
      status = 1  -- closed, or lost: the holder starts a new lease
    else
      if l == nil then
        l = {out = 0, cum = 0, hold = 0}
        a.leases[name] = l
      end
      commit(a, l, cum)
      if shrink > 0 then
        l.out = math.max(0, l.out - shrink)  -- handed back
      elseif want > l.out and holds(a) then
        local f = free(a)
        local add = want - l.out
        if f >= 0 then add = math.min(add, f, math.max(math.ceil(f / 4), min_grant)) end
        l.out = l.out + add
      end
      l.hold = math.max(l.hold, hold)
    end
    if not holds(a) then status = 2 end
    save(key, a, {name})
    local expired = {}
    for other, o in pairs(a.leases) do
      if other ~= name and o.hold < now then table.insert(expired, other) end
    end
    local out, count = leased(a)
    reply[i + 1] = {status, l and l.out or 0, a.settled_life, a.settled_day, out, count, expired}
  end
  return reply
end

-- FCALL vt_close N account... ARGV: watermark, then per account lease, cum.
-- Closes leases whose hold has passed the caller's watermark (the notice log's time up to which
-- the caller has read every notice, so it knows every charge of the lease): their last charges
-- are committed, the rest is free again. Reply: how many were closed.
local function vt_close(keys, args)
  local now = now_ms()
  local watermark = tonumber(args[1])
  local closed = 0
  for i, key in ipairs(keys) do
    local name, cum = args[2 * i], tonumber(args[2 * i + 1])
    local a = load(key, now)
    local l = a.leases[name]
    if l and l.hold < watermark then
      commit(a, l, cum)
      a.leases[name] = nil
      save(key, a, {name})
      closed = closed + 1
    end
  end
  return closed
end

redis.register_function('vt_lease', vt_lease)
redis.register_function('vt_close', vt_close)
)lua";

int AccountBucket(std::string_view campaign_id) {
  return redis::Crc16(campaign_id) % kAccountBuckets;
}

std::string AccountKey(std::string_view campaign_id) {
  return StrCat("vt:{money:", AccountBucket(campaign_id), "}:account:", campaign_id);
}

}  // namespace vetrina::fleet
