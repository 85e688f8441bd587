#include "adapters/redis/redis_link.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cassert>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
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

constexpr auto kHealthEvery = std::chrono::milliseconds(20);

}  // namespace

class RedisLink::Impl {
 public:
  Impl(std::vector<RedisEndpoint> seeds, Options options, std::atomic<bool>& connected)
      : seeds_(std::move(seeds)),
        options_(options),
        connected_(connected),
        work_(asio::make_work_guard(io_)),
        health_timer_(io_) {
    assert(!seeds_.empty());
    client_ = std::make_unique<RedisClient>(io_, seeds_.front(), options_.client);
    ScheduleHealth();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    asio::post(io_, [this] {
      health_timer_.cancel();
      client_.reset();  // fails every pending command with Unavailable
      work_.reset();
    });
    thread_.join();
  }

  absl::StatusOr<RedisReply> Call(std::string_view /*key*/, std::vector<std::string> args,
                                  absl::Duration timeout) {
    auto call = std::make_shared<PendingCall>();
    asio::post(io_, [this, call, args = std::move(args)]() mutable {
      client_->Command(std::move(args), [call](absl::StatusOr<RedisReply> reply) {
        call->result = std::move(reply);
        call->done.Notify();
      });
    });
    if (!call->done.WaitForNotificationWithTimeout(timeout)) {
      return absl::DeadlineExceededError(
          StrCat("redis ", description(), ": no reply within ", absl::FormatDuration(timeout)));
    }
    return *std::move(call->result);
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
  // Samples the connection state on the link's thread, where the client lives.
  void ScheduleHealth() {
    health_timer_.expires_after(kHealthEvery);
    health_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || client_ == nullptr) return;
      const bool up = client_->connected();
      connected_.store(up, std::memory_order_relaxed);
      {
        absl::MutexLock lock(&mu_);
        last_error_ = up ? absl::OkStatus()
                      : client_->last_error().ok()
                          ? absl::UnavailableError(StrCat("redis ", description(), ": connecting"))
                          : client_->last_error();
      }
      ScheduleHealth();
    });
  }

  const std::vector<RedisEndpoint> seeds_;
  const Options options_;
  std::atomic<bool>& connected_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer health_timer_;
  std::unique_ptr<RedisClient> client_;  // used on the link's thread only
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

bool RedisLink::WaitConnected(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (!connected() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  return connected();
}

absl::Status RedisLink::health() const { return impl_->health(); }

std::string RedisLink::description() const { return impl_->description(); }

}  // namespace vetrina::redis
