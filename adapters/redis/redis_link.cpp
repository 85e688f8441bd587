#include "adapters/redis/redis_link.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cassert>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "adapters/redis/key_slot.h"
#include "base/strings.h"

namespace vetrina::redis {
namespace {

namespace asio = boost::asio;

// One call's outcome, shared by the waiting thread and the link's thread: whichever finishes
// last frees it, so a reply that arrives after the caller gave up touches nothing freed.
struct PendingCall {
  absl::Notification done;
  std::optional<absl::StatusOr<RedisReply>> result;
};

// A call on the link's thread: kept until its outcome is known, redirections included.
struct RoutedCall {
  std::vector<std::string> args;
  bool any_server = false;  // the key is "": any master will do
  uint16_t slot = 0;
  int redirections = 0;
  std::shared_ptr<PendingCall> pending;
};

// A cluster's `MOVED 3999 127.0.0.1:6381` or `ASK 3999 127.0.0.1:6381` error.
struct Redirection {
  bool ask = false;
  uint16_t slot = 0;
  std::string host;  // empty when Redis does not know the node's address: the replying host
  uint16_t port = 0;
};

template <typename Int>
bool ParseNumber(std::string_view text, Int* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::optional<Redirection> ParseRedirection(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kFailedPrecondition) return std::nullopt;
  std::string_view message = View(status.message());
  Redirection r;
  if (message.starts_with("MOVED ")) {
    message.remove_prefix(6);
  } else if (message.starts_with("ASK ")) {
    r.ask = true;
    message.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const size_t space = message.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view address = message.substr(space + 1);
  const size_t colon = address.rfind(':');  // an IPv6 host has colons of its own
  if (colon == std::string_view::npos || !ParseNumber(message.substr(0, space), &r.slot) ||
      r.slot >= kClusterSlots || !ParseNumber(address.substr(colon + 1), &r.port)) {
    return std::nullopt;
  }
  r.host = std::string(address.substr(0, colon));
  return r;
}

// INFO's `cluster_enabled:1` line.
bool IsClusterNode(const RedisReply& info) {
  return info.type == RedisReply::Type::kString &&
         info.str.find("cluster_enabled:1") != std::string::npos;
}

constexpr auto kHealthEvery = std::chrono::milliseconds(20);
// Refreshing the slot map because a master is down (it may have failed over) happens at most
// this often; a MOVED reply refreshes it at once.
constexpr auto kRefreshOnTroubleEvery = std::chrono::milliseconds(500);

}  // namespace

class RedisLink::Impl {
 public:
  Impl(std::vector<RedisEndpoint> seeds, Options options, std::atomic<bool>& connected)
      : seeds_(std::move(seeds)),
        options_(options),
        connected_(connected),
        work_(asio::make_work_guard(io_)),
        health_timer_(io_),
        slots_(kClusterSlots, nullptr) {
    assert(!seeds_.empty());
    for (const RedisEndpoint& seed : seeds_) ClientFor(seed);
    ScheduleHealth();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    asio::post(io_, [this] {
      shutting_down_ = true;
      health_timer_.cancel();
      single_ = nullptr;
      for (ParkedCall& parked : parked_) {
        Complete(parked.call->pending, absl::UnavailableError("redis: the link is shutting down"));
      }
      parked_.clear();
      slots_.assign(kClusterSlots, nullptr);
      // Fails every pending command with Unavailable; their callbacks only complete calls now.
      auto clients = std::move(clients_);
      clients.clear();
      work_.reset();
    });
    thread_.join();
  }

  absl::StatusOr<RedisReply> Call(std::string_view key, std::vector<std::string> args,
                                  absl::Duration timeout) {
    auto call = std::make_shared<RoutedCall>();
    call->args = std::move(args);
    call->any_server = key.empty();
    call->slot = KeySlot(key);
    call->pending = std::make_shared<PendingCall>();
    std::shared_ptr<PendingCall> pending = call->pending;
    asio::post(io_, [this, call = std::move(call)]() mutable { Dispatch(std::move(call)); });
    if (!pending->done.WaitForNotificationWithTimeout(timeout)) {
      return absl::DeadlineExceededError(
          StrCat("redis ", description(), ": no reply within ", absl::FormatDuration(timeout)));
    }
    return *std::move(pending->result);
  }

  absl::Status CallEveryMaster(std::vector<std::string> args) {
    auto pending = std::make_shared<PendingCall>();
    asio::post(io_, [this, pending, args = std::move(args)]() mutable {
      RunOnEveryMaster(pending, std::move(args));
    });
    if (!pending->done.WaitForNotificationWithTimeout(options_.call_timeout)) {
      return absl::DeadlineExceededError(StrCat("redis ", description(),
                                                ": not every master answered within ",
                                                absl::FormatDuration(options_.call_timeout)));
    }
    return pending->result->status();
  }

  absl::Status health() const {
    absl::MutexLock lock(&mu_);
    return last_error_;
  }

  std::string description() const {
    std::string out;
    for (const RedisEndpoint& e : seeds_) StrAppend(&out, out.empty() ? "" : ",", e.ToUrl());
    return out;
  }

  const Options& options() const { return options_; }

 private:
  enum class Mode { kDetecting, kSingle, kCluster };

  // A redirected call waiting for the link's first connection to its target.
  struct ParkedCall {
    std::shared_ptr<RoutedCall> call;
    std::string url;  // the target's, a key of clients_
    bool asking = false;
    std::chrono::steady_clock::time_point give_up;
  };

  static void Complete(const std::shared_ptr<PendingCall>& pending,
                       absl::StatusOr<RedisReply> result) {
    pending->result = std::move(result);
    pending->done.Notify();
  }

  // The pooled client for `endpoint`, created (and connecting) when there is none.
  RedisClient* ClientFor(const RedisEndpoint& endpoint) {
    std::unique_ptr<RedisClient>& client = clients_[endpoint.ToUrl()];
    if (client == nullptr) client = std::make_unique<RedisClient>(io_, endpoint, options_.client);
    return client.get();
  }

  // The masters in the slot map, each once, in slot order.
  std::vector<RedisClient*> Masters() const {
    std::vector<RedisClient*> masters;
    std::set<RedisClient*> seen;
    for (RedisClient* client : slots_) {
      if (client != nullptr && seen.insert(client).second) masters.push_back(client);
    }
    return masters;
  }

  // Where a call goes now, or nullptr with the reason in `why`.
  RedisClient* Route(const RoutedCall& call, std::string* why) const {
    switch (mode_) {
      case Mode::kDetecting:
        *why = StrCat("redis ", description(), ": not connected, command not sent");
        return nullptr;
      case Mode::kSingle:
        return single_;
      case Mode::kCluster:
        break;
    }
    if (call.any_server) {
      std::vector<RedisClient*> masters = Masters();
      for (RedisClient* master : masters) {
        if (master->connected()) return master;
      }
      if (!masters.empty()) return masters.front();
      *why = StrCat("redis ", description(), ": the cluster's slot map is not loaded yet");
      return nullptr;
    }
    if (slots_[call.slot] == nullptr) {
      *why = StrCat("redis ", description(), ": no master is known for slot ", call.slot);
    }
    return slots_[call.slot];
  }

  void Dispatch(std::shared_ptr<RoutedCall> call) {
    if (shutting_down_) {
      Complete(call->pending, absl::UnavailableError("redis: the link is shutting down"));
      return;
    }
    std::string why;
    RedisClient* target = Route(*call, &why);
    if (target == nullptr) {
      Complete(call->pending, absl::UnavailableError(why));
      return;
    }
    Send(*target, std::move(call), /*asking=*/false);
  }

  void Send(RedisClient& target, std::shared_ptr<RoutedCall> call, bool asking) {
    // RedisClient pipelines in order on one connection: ASKING reaches the node right before
    // the command it allows. Its own outcome shows in the command's reply.
    if (asking) target.Command({"ASKING"}, [](absl::StatusOr<RedisReply>) {});
    std::vector<std::string> args = call->args;  // kept for a redirection
    target.Command(std::move(args), [this, call = std::move(call), host = target.endpoint().host](
                                        absl::StatusOr<RedisReply> reply) mutable {
      OnReply(std::move(call), host, std::move(reply));
    });
  }

  // Runs as a RedisClient callback: whatever calls into a client again is posted.
  void OnReply(std::shared_ptr<RoutedCall> call, const std::string& replier_host,
               absl::StatusOr<RedisReply> reply) {
    if (mode_ == Mode::kCluster && !shutting_down_ && !reply.ok()) {
      if (std::optional<Redirection> redirection = ParseRedirection(reply.status())) {
        if (++call->redirections > kMaxRedirections) {
          Complete(call->pending, absl::UnavailableError(StrCat(
                                      "redis ", description(), ": more than ", kMaxRedirections,
                                      " redirections, the last ", View(reply.status().message()))));
          return;
        }
        if (redirection->host.empty()) redirection->host = replier_host;
        asio::post(io_, [this, call = std::move(call), r = *std::move(redirection)]() mutable {
          Redirect(std::move(call), r);
        });
        return;
      }
      if (absl::IsUnavailable(reply.status())) {
        asio::post(io_, [this] { RefreshOnTrouble(); });  // the master may have failed over
      }
    }
    Complete(call->pending, std::move(reply));
  }

  void Redirect(std::shared_ptr<RoutedCall> call, const Redirection& r) {
    if (shutting_down_) {
      Complete(call->pending, absl::UnavailableError("redis: the link is shutting down"));
      return;
    }
    const RedisEndpoint endpoint{r.host, r.port, 0};
    RedisClient* target = ClientFor(endpoint);
    if (!r.ask) {
      slots_[r.slot] = target;
      RefreshSlots();
    }
    if (!target->connected()) {
      // A node the link had no connection to (a new master): the call waits for the first one.
      parked_.push_back({std::move(call), endpoint.ToUrl(), r.ask,
                         std::chrono::steady_clock::now() +
                             absl::ToChronoNanoseconds(options_.client.connect_timeout)});
      return;
    }
    Send(*target, std::move(call), /*asking=*/r.ask);
  }

  // Sends the calls parked by Redirect once their node is connected; fails them with Unavailable
  // when its first connection attempt failed or took longer than connect_timeout.
  void RetryParked() {
    std::vector<ParkedCall> parked = std::move(parked_);
    parked_.clear();
    const auto now = std::chrono::steady_clock::now();
    for (ParkedCall& p : parked) {
      auto it = clients_.find(p.url);
      RedisClient* client = it == clients_.end() ? nullptr : it->second.get();
      if (client != nullptr && client->connected()) {
        Send(*client, std::move(p.call), p.asking);
      } else if (client == nullptr || !client->last_error().ok() || now >= p.give_up) {
        Complete(p.call->pending,
                 client == nullptr || client->last_error().ok()
                     ? absl::UnavailableError(StrCat("redis ", p.url, ": not connected"))
                     : client->last_error());
      } else {
        parked_.push_back(std::move(p));
      }
    }
  }

  void RunOnEveryMaster(std::shared_ptr<PendingCall> pending, std::vector<std::string> args) {
    std::vector<RedisClient*> targets;
    if (mode_ == Mode::kSingle) targets.push_back(single_);
    if (mode_ == Mode::kCluster) targets = Masters();
    if (shutting_down_ || targets.empty()) {
      Complete(pending, absl::UnavailableError(StrCat("redis ", description(),
                                                      mode_ == Mode::kCluster
                                                          ? ": the cluster's slot map is not loaded"
                                                          : ": not connected, command not sent")));
      return;
    }
    struct Outcome {
      size_t remaining;
      absl::Status first_error;
    };
    auto outcome = std::make_shared<Outcome>(Outcome{targets.size(), absl::OkStatus()});
    for (RedisClient* target : targets) {
      target->Command(args, [pending, outcome](absl::StatusOr<RedisReply> reply) {
        if (!reply.ok() && outcome->first_error.ok()) outcome->first_error = reply.status();
        if (--outcome->remaining == 0) {
          if (outcome->first_error.ok()) {
            Complete(pending, RedisReply::Nil());
          } else {
            Complete(pending, outcome->first_error);
          }
        }
      });
    }
  }

  // Loads CLUSTER SLOTS from a connected master (or seed); one load at a time, and one more
  // after it when asked meanwhile.
  void RefreshSlots() {
    if (refreshing_) {
      refresh_again_ = true;
      return;
    }
    RedisClient* via = nullptr;
    for (RedisClient* master : Masters()) {
      if (master->connected()) {
        via = master;
        break;
      }
    }
    for (const RedisEndpoint& seed : seeds_) {
      if (via != nullptr) break;
      RedisClient* client = ClientFor(seed);
      if (client->connected()) via = client;
    }
    last_refresh_ = std::chrono::steady_clock::now();
    if (via == nullptr) {
      refresh_wanted_ = true;  // the health check tries again
      return;
    }
    refreshing_ = true;
    refresh_wanted_ = false;
    via->Command({"CLUSTER", "SLOTS"},
                 [this, host = via->endpoint().host](absl::StatusOr<RedisReply> reply) mutable {
                   asio::post(io_, [this, host = std::move(host), reply = std::move(reply)] {
                     OnSlots(host, reply);
                   });
                 });
  }

  void RefreshOnTrouble() {
    if (shutting_down_ || mode_ != Mode::kCluster) return;
    if (std::chrono::steady_clock::now() - last_refresh_ < kRefreshOnTroubleEvery) return;
    RefreshSlots();
  }

  void OnSlots(const std::string& replier_host, const absl::StatusOr<RedisReply>& reply) {
    refreshing_ = false;
    if (shutting_down_) return;
    if (!reply.ok() || !ApplySlots(replier_host, *reply)) {
      refresh_wanted_ = true;
    } else if (refresh_again_) {
      refresh_again_ = false;
      RefreshSlots();
    }
  }

  // CLUSTER SLOTS: [[start, end, [host, port, id, ...], replicas...], ...]. False when the reply
  // has another shape.
  bool ApplySlots(const std::string& replier_host, const RedisReply& reply) {
    if (reply.type != RedisReply::Type::kArray) return false;
    std::vector<RedisClient*> slots(kClusterSlots, nullptr);
    for (const RedisReply& range : reply.elements) {
      if (range.type != RedisReply::Type::kArray || range.elements.size() < 3) return false;
      const RedisReply& start = range.elements[0];
      const RedisReply& end = range.elements[1];
      const RedisReply& master = range.elements[2];
      if (start.type != RedisReply::Type::kInteger || end.type != RedisReply::Type::kInteger ||
          start.integer < 0 || end.integer >= kClusterSlots || start.integer > end.integer ||
          master.type != RedisReply::Type::kArray || master.elements.size() < 2 ||
          master.elements[0].type != RedisReply::Type::kString ||
          master.elements[1].type != RedisReply::Type::kInteger ||
          master.elements[1].integer <= 0 || master.elements[1].integer > 65535) {
        return false;
      }
      std::string host = master.elements[0].str;
      if (host == "?") continue;  // the node's address is unknown: MOVED will tell
      if (host.empty()) host = replier_host;
      RedisClient* client =
          ClientFor(RedisEndpoint{host, static_cast<uint16_t>(master.elements[1].integer), 0});
      for (int64_t slot = start.integer; slot <= end.integer; ++slot) slots[slot] = client;
    }
    slots_ = std::move(slots);
    asio::post(io_, [this] { DropUnusedClients(); });
    return true;
  }

  // Closes clients that are neither masters, nor seeds, nor awaiting replies (a node that left
  // the cluster or was the target of an ASK). Posted: never from inside a client's callback.
  void DropUnusedClients() {
    if (shutting_down_) return;
    std::set<RedisClient*> keep;
    if (single_ != nullptr) keep.insert(single_);
    for (const ParkedCall& parked : parked_) {
      if (auto it = clients_.find(parked.url); it != clients_.end()) keep.insert(it->second.get());
    }
    for (RedisClient* master : Masters()) keep.insert(master);
    if (mode_ != Mode::kSingle) {
      for (const RedisEndpoint& seed : seeds_) keep.insert(ClientFor(seed));
    }
    for (auto it = clients_.begin(); it != clients_.end();) {
      if (keep.count(it->second.get()) == 0 && it->second->pending() == 0) {
        it = clients_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Asks the first connected seed whether it is a cluster node.
  void Detect() {
    if (detecting_) return;
    for (const RedisEndpoint& seed : seeds_) {
      RedisClient* client = ClientFor(seed);
      if (!client->connected()) continue;
      detecting_ = true;
      client->Command({"INFO", "cluster"}, [this, client](absl::StatusOr<RedisReply> reply) {
        asio::post(io_, [this, client, reply = std::move(reply)] { OnDetected(client, reply); });
      });
      return;
    }
  }

  void OnDetected(RedisClient* seed, const absl::StatusOr<RedisReply>& info) {
    detecting_ = false;
    if (shutting_down_ || mode_ != Mode::kDetecting) return;
    // Lost meanwhile, or still loading its data: the health check asks again.
    if (absl::IsUnavailable(info.status())) return;
    if (!info.ok() && View(info.status().message()).starts_with("LOADING")) return;
    if (info.ok() && IsClusterNode(*info)) {
      mode_ = Mode::kCluster;
      RefreshSlots();
      return;
    }
    // Not a cluster node (or INFO refused): the seed is the single server.
    mode_ = Mode::kSingle;
    single_ = seed;
    DropUnusedClients();
  }

  // Samples the connections on the link's thread, where the clients live, and moves detection
  // and slot map loading along.
  void ScheduleHealth() {
    health_timer_.expires_after(kHealthEvery);
    health_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || shutting_down_) return;
      CheckHealth();
      ScheduleHealth();
    });
  }

  void CheckHealth() {
    if (!parked_.empty()) RetryParked();
    absl::Status status = absl::OkStatus();
    switch (mode_) {
      case Mode::kDetecting:
        Detect();
        status = NotConnected(*ClientFor(seeds_.front()));
        break;
      case Mode::kSingle:
        if (!single_->connected()) status = NotConnected(*single_);
        break;
      case Mode::kCluster: {
        std::vector<RedisClient*> masters = Masters();
        if (masters.empty()) {
          status = absl::UnavailableError(
              StrCat("redis ", description(), ": the cluster's slot map is not loaded yet"));
        }
        for (RedisClient* master : masters) {
          if (!master->connected()) {
            status = NotConnected(*master);
            break;
          }
        }
        if (refresh_wanted_ || !status.ok()) RefreshOnTrouble();
        break;
      }
    }
    connected_.store(status.ok(), std::memory_order_relaxed);
    absl::MutexLock lock(&mu_);
    last_error_ = std::move(status);
  }

  static absl::Status NotConnected(const RedisClient& client) {
    if (!client.last_error().ok()) return client.last_error();
    return absl::UnavailableError(StrCat("redis ", client.endpoint().ToUrl(), ": connecting"));
  }

  const std::vector<RedisEndpoint> seeds_;
  const Options options_;
  std::atomic<bool>& connected_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer health_timer_;

  // The link's thread only, from here to mu_.
  bool shutting_down_ = false;
  Mode mode_ = Mode::kDetecting;
  bool detecting_ = false;
  // Every connection, by "redis://host:port/db": the seeds, the masters, ASK targets.
  std::map<std::string, std::unique_ptr<RedisClient>> clients_;
  RedisClient* single_ = nullptr;    // Mode::kSingle: the server
  std::vector<RedisClient*> slots_;  // Mode::kCluster: each slot's master (nullptr: unknown)
  bool refreshing_ = false;          // a CLUSTER SLOTS is awaiting its reply
  bool refresh_again_ = false;       // ... and the map changed meanwhile: load it again after
  bool refresh_wanted_ = false;      // the last load failed: the health check retries
  std::chrono::steady_clock::time_point last_refresh_{};
  std::vector<ParkedCall> parked_;

  mutable absl::Mutex mu_;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_) = absl::UnavailableError("redis: connecting");
  std::thread thread_;
};

RedisLink::RedisLink(std::vector<RedisEndpoint> seeds, Options options)
    : impl_(std::make_unique<Impl>(std::move(seeds), options, connected_)) {}

RedisLink::~RedisLink() = default;

absl::StatusOr<RedisReply> RedisLink::Call(std::string_view key,
                                           std::vector<std::string> args) const {
  return impl_->Call(key, std::move(args), impl_->options().call_timeout);
}

absl::StatusOr<RedisReply> RedisLink::Call(std::string_view key, std::vector<std::string> args,
                                           absl::Duration timeout) const {
  return impl_->Call(key, std::move(args), timeout);
}

absl::Status RedisLink::CallEveryMaster(std::vector<std::string> args) const {
  return impl_->CallEveryMaster(std::move(args));
}

bool RedisLink::WaitConnected(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (!connected() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  return connected();
}

absl::Status RedisLink::health() const { return impl_->health(); }

std::string RedisLink::description() const { return impl_->description(); }

}  // namespace vetrina::redis
