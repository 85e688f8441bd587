#include "adapters/redis/redis_link.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../../support/redis_cluster.h"
#include "../../support/redis_server.h"
#include "adapters/redis/key_slot.h"
#include "base/strings.h"

namespace vetrina::redis {
namespace {

using vetrina::testing::RedisCluster;
using vetrina::testing::RedisServer;
using Result = absl::StatusOr<RedisReply>;
using vetrina::View;

RedisLink::Options FastLink() {
  RedisLink::Options options;
  options.client.reconnect_min = absl::Milliseconds(5);
  options.client.reconnect_max = absl::Milliseconds(100);
  return options;
}

// Runs one command on `endpoint` directly, past the link.
Result Direct(const RedisEndpoint& endpoint, std::vector<std::string> args) {
  return RunRedisCommand(endpoint, std::move(args), absl::Seconds(5));
}

// Polls until `condition` holds, at most 10 s: waiting for a real server's state, never for time.
template <typename Condition>
bool PollUntil(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string NodeId(const RedisEndpoint& node) {
  Result id = Direct(node, {"CLUSTER", "MYID"});
  REQUIRE(id.ok());
  return id->str;
}

// The index (in cluster.seeds()) of the master that owns `slot`, as node 0 sees it.
int OwnerOf(const RedisCluster& cluster, uint16_t slot) {
  Result slots = Direct(cluster.endpoint(0), {"CLUSTER", "SLOTS"});
  REQUIRE(slots.ok());
  for (const RedisReply& range : slots->elements) {
    if (range.elements[0].integer <= slot && slot <= range.elements[1].integer) {
      const int64_t port = range.elements[2].elements[1].integer;
      for (int i = 0; i < RedisCluster::kMasters; ++i) {
        if (cluster.endpoint(i).port == port) return i;
      }
    }
  }
  FAIL("no master owns slot " << slot);
  return -1;
}

// How many GETs `node` turned away (MOVED and ASK replies count as rejected calls).
int64_t RejectedGets(const RedisEndpoint& node) {
  Result stats = Direct(node, {"INFO", "commandstats"});
  REQUIRE(stats.ok());
  const size_t line = stats->str.find("cmdstat_get:");
  if (line == std::string::npos) return 0;
  const size_t field = stats->str.find("rejected_calls=", line);
  REQUIRE(field != std::string::npos);
  return std::stoll(stats->str.substr(field + 15));
}

// Starts moving `slot` from master `from` to master `to`: IMPORTING on the target, MIGRATING on
// the source, then MIGRATE of `keys` (those that already go).
void BeginMigration(uint16_t slot, const RedisEndpoint& from, const RedisEndpoint& to,
                    const std::vector<std::string>& keys) {
  const std::string s = std::to_string(slot);
  Result importing = Direct(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", NodeId(from)});
  REQUIRE(importing.status() == absl::OkStatus());
  Result migrating = Direct(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", NodeId(to)});
  REQUIRE(migrating.status() == absl::OkStatus());
  for (const std::string& key : keys) {
    Result migrated =
        Direct(from, {"MIGRATE", "127.0.0.1", std::to_string(to.port), key, "0", "5000"});
    REQUIRE(migrated.status() == absl::OkStatus());
  }
}

// Ends the move: every master in `masters` hears that `to` owns `slot`, the target first (as
// redis-cli does).
void FinishMigration(uint16_t slot, const RedisEndpoint& to,
                     const std::vector<RedisEndpoint>& masters) {
  const std::string id = NodeId(to);
  REQUIRE(Direct(to, {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", id}).ok());
  for (const RedisEndpoint& master : masters) {
    if (master == to) continue;
    REQUIRE(Direct(master, {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", id}).ok());
  }
}

TEST_CASE("RedisLink with a single server: SET then GET round-trip, and CallEveryMaster") {
  RedisServer server;
  RedisLink link({{"127.0.0.1", server.port(), 0}}, FastLink());
  REQUIRE(link.WaitConnected(absl::Seconds(10)));
  CHECK(link.health().ok());

  Result set = link.Call("vt:{k}:a", {"SET", "vt:{k}:a", "v1"});
  REQUIRE(set.ok());
  CHECK(*set == RedisReply::Status("OK"));
  Result get = link.Call("vt:{k}:a", {"GET", "vt:{k}:a"});
  REQUIRE(get.ok());
  CHECK(*get == RedisReply::String("v1"));
  // A Redis error reply comes back verbatim; the link stays connected.
  Result wrong = link.Call("vt:{k}:a", {"LPUSH", "vt:{k}:a", "x"});
  CHECK(wrong.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(View(wrong.status().message()).starts_with("WRONGTYPE"));
  // A command without a key goes to the server.
  CHECK(link.Call("", {"PING"}).ok());

  REQUIRE(link.CallEveryMaster({"CONFIG", "SET", "hz", "17"}).ok());
  Result hz = Direct({"127.0.0.1", server.port(), 0}, {"CONFIG", "GET", "hz"});
  REQUIRE(hz.ok());
  CHECK(hz->elements.at(1).str == "17");
  CHECK(link.CallEveryMaster({"CONFIG", "SET", "no-such-setting", "1"}).code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("RedisLink with a single server: fails fast while it is down and recovers after") {
  RedisServer server;
  RedisLink link({{"127.0.0.1", server.port(), 0}}, FastLink());
  REQUIRE(link.WaitConnected(absl::Seconds(10)));
  REQUIRE(link.Call("k", {"SET", "k", "before"}).ok());

  server.Stop();
  REQUIRE(PollUntil([&] { return !link.connected(); }));
  CHECK(!link.health().ok());
  Result down = link.Call("k", {"GET", "k"}, absl::Milliseconds(500));
  CHECK((absl::IsUnavailable(down.status()) || absl::IsDeadlineExceeded(down.status())));
  CHECK(!link.CallEveryMaster({"PING"}).ok());

  server.Start();  // no AOF: the data is gone, the connection comes back
  REQUIRE(link.WaitConnected(absl::Seconds(10)));
  CHECK(link.health().ok());
  REQUIRE(link.Call("k", {"SET", "k", "after"}).ok());
  Result get = link.Call("k", {"GET", "k"});
  REQUIRE(get.ok());
  CHECK(*get == RedisReply::String("after"));
}

TEST_CASE("RedisServer with append_only keeps acknowledged writes across Kill and Start") {
  RedisServer server({.append_only = true});
  const RedisEndpoint endpoint{"127.0.0.1", server.port(), 0};
  REQUIRE(Direct(endpoint, {"SET", "k", "durable"}).ok());
  server.Kill();
  CHECK(!server.running());
  server.Start();
  Result get = Direct(endpoint, {"GET", "k"});
  REQUIRE(get.status() == absl::OkStatus());
  CHECK(*get == RedisReply::String("durable"));
}

TEST_CASE("RedisLink with a cluster: each key lives on the master that owns its slot") {
  RedisCluster cluster;
  RedisLink link(cluster.seeds(), FastLink());
  REQUIRE(link.WaitConnected(absl::Seconds(10)));
  CHECK(link.health().ok());

  std::set<int> owners;
  for (int i = 0; i < 60; ++i) {
    const std::string key = "vt:{tag" + std::to_string(i) + "}:log";
    const std::string value = "value" + std::to_string(i);
    Result set = link.Call(key, {"SET", key, value});
    REQUIRE(set.ok());
    Result get = link.Call(key, {"GET", key});
    REQUIRE(get.ok());
    CHECK(*get == RedisReply::String(value));

    Result slot = Direct(cluster.endpoint(0), {"CLUSTER", "KEYSLOT", key});
    REQUIRE(slot.ok());
    CHECK(slot->integer == KeySlot(key));
    const int owner = OwnerOf(cluster, KeySlot(key));
    owners.insert(owner);
    Result stored = Direct(cluster.endpoint(owner), {"GET", key});
    REQUIRE(stored.ok());
    CHECK(*stored == RedisReply::String(value));
  }
  CHECK(owners.size() == RedisCluster::kMasters);
  CHECK(link.Call("", {"PING"}).ok());

  REQUIRE(link.CallEveryMaster({"CONFIG", "SET", "hz", "17"}).ok());
  for (const RedisEndpoint& node : cluster.seeds()) {
    Result hz = Direct(node, {"CONFIG", "GET", "hz"});
    REQUIRE(hz.ok());
    CHECK(hz->elements.at(1).str == "17");
  }
}

TEST_CASE("RedisLink with a cluster follows MOVED after a slot moved to another master") {
  RedisCluster cluster;
  RedisLink link(cluster.seeds(), FastLink());
  REQUIRE(link.WaitConnected(absl::Seconds(10)));
  const std::vector<std::string> keys = {"vt:{moved}:a", "vt:{moved}:b"};
  for (const std::string& key : keys) REQUIRE(link.Call(key, {"SET", key, "old"}).ok());

  const uint16_t slot = KeySlot(keys[0]);
  const int from = OwnerOf(cluster, slot);
  const int to = (from + 1) % RedisCluster::kMasters;
  BeginMigration(slot, cluster.endpoint(from), cluster.endpoint(to), keys);
  FinishMigration(slot, cluster.endpoint(to), cluster.seeds());
  // The link's map still says `from`, which now answers MOVED.
  Result stale = Direct(cluster.endpoint(from), {"GET", keys[0]});
  CHECK(View(stale.status().message()).starts_with("MOVED"));

  const int64_t rejected_before = RejectedGets(cluster.endpoint(from));
  for (const std::string& key : keys) {
    Result get = link.Call(key, {"GET", key});
    REQUIRE(get.ok());
    CHECK(*get == RedisReply::String("old"));
    REQUIRE(link.Call(key, {"SET", key, "new"}).ok());
    Result stored = Direct(cluster.endpoint(to), {"GET", key});
    REQUIRE(stored.ok());
    CHECK(*stored == RedisReply::String("new"));
  }
  // Only the first call went to the old owner: MOVED updated the slot in the link's map.
  CHECK(RejectedGets(cluster.endpoint(from)) == rejected_before + 1);
  // A new key of the moved slot goes there too.
  REQUIRE(link.Call("vt:{moved}:c", {"SET", "vt:{moved}:c", "c"}).ok());
  Result stored = Direct(cluster.endpoint(to), {"GET", "vt:{moved}:c"});
  REQUIRE(stored.ok());
  CHECK(*stored == RedisReply::String("c"));
  CHECK(link.connected());
}

TEST_CASE("RedisLink with a cluster follows ASK while a slot is half-migrated") {
  RedisCluster cluster;
  RedisLink link(cluster.seeds(), FastLink());
  REQUIRE(link.WaitConnected(absl::Seconds(10)));
  const std::string moved_key = "vt:{ask}:moved";
  const std::string staying_key = "vt:{ask}:staying";
  REQUIRE(link.Call(moved_key, {"SET", moved_key, "m"}).ok());
  REQUIRE(link.Call(staying_key, {"SET", staying_key, "s"}).ok());

  const uint16_t slot = KeySlot(moved_key);
  const int from = OwnerOf(cluster, slot);
  const int to = (from + 1) % RedisCluster::kMasters;
  BeginMigration(slot, cluster.endpoint(from), cluster.endpoint(to), {moved_key});
  // The source sends the moved key's readers on with ASK; the target serves them only after
  // ASKING.
  Result ask = Direct(cluster.endpoint(from), {"GET", moved_key});
  CHECK(View(ask.status().message()).starts_with("ASK"));
  Result without_asking = Direct(cluster.endpoint(to), {"GET", moved_key});
  CHECK(View(without_asking.status().message()).starts_with("MOVED"));

  Result moved = link.Call(moved_key, {"GET", moved_key});
  REQUIRE(moved.ok());
  CHECK(*moved == RedisReply::String("m"));
  Result staying = link.Call(staying_key, {"GET", staying_key});
  REQUIRE(staying.ok());
  CHECK(*staying == RedisReply::String("s"));
  // ASK does not change the map: the slot's other keys still go to the source.
  REQUIRE(link.Call(staying_key, {"SET", staying_key, "s2"}).ok());
  Result on_source = Direct(cluster.endpoint(from), {"GET", staying_key});
  REQUIRE(on_source.ok());
  CHECK(*on_source == RedisReply::String("s2"));
}

TEST_CASE("RedisLink with a cluster gives up after kMaxRedirections redirections") {
  RedisCluster cluster;
  RedisLink link(cluster.seeds(), FastLink());
  REQUIRE(link.WaitConnected(absl::Seconds(10)));
  const std::string key = "vt:{loop}:missing";
  const uint16_t slot = KeySlot(key);
  const int from = OwnerOf(cluster, slot);
  const int to = (from + 1) % RedisCluster::kMasters;
  // A misconfigured move: the source sends a missing key on with ASK, but the target is not
  // importing and sends it back with MOVED, for ever.
  REQUIRE(Direct(cluster.endpoint(from), {"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING",
                                          NodeId(cluster.endpoint(to))})
              .ok());

  Result looped = link.Call(key, {"GET", key});
  CHECK(absl::IsUnavailable(looped.status()));
  CHECK(View(looped.status().message()).find("redirections") != std::string::npos);
  // Other slots are not affected.
  CHECK(link.Call("vt:{other}:k", {"SET", "vt:{other}:k", "v"}).ok());
}

TEST_CASE("RedisLink with a cluster follows MOVED to a master it had no connection to") {
  RedisCluster cluster;
  RedisLink link(cluster.seeds(), FastLink());
  REQUIRE(link.WaitConnected(absl::Seconds(10)));
  const std::string key = "vt:{newcomer}:a";
  REQUIRE(link.Call(key, {"SET", key, "v"}).ok());

  // A fourth master joins, and every node learns of every other.
  RedisServer newcomer({.append_only = true, .cluster_enabled = true});
  const RedisEndpoint fourth{"127.0.0.1", newcomer.port(), 0};
  REQUIRE(
      Direct(cluster.endpoint(0), {"CLUSTER", "MEET", "127.0.0.1", std::to_string(newcomer.port())})
          .ok());
  std::vector<RedisEndpoint> masters = cluster.seeds();
  masters.push_back(fourth);
  std::vector<std::string> ids;
  for (const RedisEndpoint& master : masters) ids.push_back(NodeId(master));
  for (const RedisEndpoint& master : masters) {
    REQUIRE(PollUntil([&] {
      Result nodes = Direct(master, {"CLUSTER", "NODES"});
      if (!nodes.ok()) return false;
      for (const std::string& id : ids) {
        const size_t line = nodes->str.find(id);
        // Known, with its address and no handshake pending.
        if (line == std::string::npos ||
            nodes->str.find("handshake", line) < nodes->str.find('\n', line)) {
          return false;
        }
      }
      return true;
    }));
  }
  // ... and the newcomer has learned who serves every slot.
  REQUIRE(PollUntil([&] {
    Result info = Direct(fourth, {"CLUSTER", "INFO"});
    return info.ok() && info->str.find("cluster_state:ok") != std::string::npos;
  }));
  const uint16_t slot = KeySlot(key);
  const int from = OwnerOf(cluster, slot);
  BeginMigration(slot, cluster.endpoint(from), fourth, {key});
  FinishMigration(slot, fourth, masters);

  Result get = link.Call(key, {"GET", key});
  REQUIRE(get.ok());
  CHECK(*get == RedisReply::String("v"));
  REQUIRE(link.Call(key, {"SET", key, "w"}).ok());
  Result stored = Direct(fourth, {"GET", key});
  REQUIRE(stored.ok());
  CHECK(*stored == RedisReply::String("w"));
  // The map now names four masters, all connected.
  CHECK(link.WaitConnected(absl::Seconds(10)));
}

}  // namespace
}  // namespace vetrina::redis
