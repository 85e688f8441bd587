#include "adapters/redis/redis_client.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cassert>
#include <chrono>
#include <optional>
#include <utility>

#include "base/strings.h"

namespace vetrina::redis {
namespace {

namespace asio = boost::asio;

RedisReply CopyReply(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STRING:
      return RedisReply::String(std::string(r.str, r.len));
    case REDIS_REPLY_STATUS:
      return RedisReply::Status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR:
      return RedisReply::Error(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER:
      return RedisReply::Integer(r.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<RedisReply> elements;
      elements.reserve(r.elements);
      for (size_t i = 0; i < r.elements; ++i) elements.push_back(CopyReply(*r.element[i]));
      return RedisReply::Array(std::move(elements));
    }
    default:
      return RedisReply::Nil();
  }
}

// One hiredis connection's socket as Asio sees it. Every pending wait holds it, so a wait that
// completes after hiredis has freed the context finds `context == nullptr` and does nothing.
struct Socket {
  Socket(asio::io_context& io, int fd, redisAsyncContext* ac) : descriptor(io, fd), context(ac) {}
  asio::posix::stream_descriptor descriptor;  // the fd is hiredis': released, never closed, here
  redisAsyncContext* context;                 // nullptr once hiredis has cleaned up
  bool want_read = false;
  bool want_write = false;
  bool read_waiting = false;
  bool write_waiting = false;
};

// hiredis' ev.data: the Socket, kept alive until hiredis' cleanup hook.
using SocketHolder = std::shared_ptr<Socket>;

void ArmRead(const std::shared_ptr<Socket>& s) {
  if (s->read_waiting || !s->want_read || s->context == nullptr) return;
  s->read_waiting = true;
  s->descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                           [s](const boost::system::error_code& ec) {
                             s->read_waiting = false;
                             if (ec == asio::error::operation_aborted || s->context == nullptr) {
                               return;
                             }
                             if (s->want_read) redisAsyncHandleRead(s->context);  // may free it
                             ArmRead(s);
                           });
}

void ArmWrite(const std::shared_ptr<Socket>& s) {
  if (s->write_waiting || !s->want_write || s->context == nullptr) return;
  s->write_waiting = true;
  s->descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                           [s](const boost::system::error_code& ec) {
                             s->write_waiting = false;
                             if (ec == asio::error::operation_aborted || s->context == nullptr) {
                               return;
                             }
                             if (s->want_write) redisAsyncHandleWrite(s->context);  // may free it
                             ArmWrite(s);
                           });
}

// hiredis' event hooks: idempotent, as hiredis requires.
void AddRead(void* data) {
  const SocketHolder& s = *static_cast<SocketHolder*>(data);
  s->want_read = true;
  ArmRead(s);
}
void DelRead(void* data) { (*static_cast<SocketHolder*>(data))->want_read = false; }
void AddWrite(void* data) {
  const SocketHolder& s = *static_cast<SocketHolder*>(data);
  s->want_write = true;
  ArmWrite(s);
}
void DelWrite(void* data) { (*static_cast<SocketHolder*>(data))->want_write = false; }
// Called once, while hiredis frees the context and before it closes the fd.
void Cleanup(void* data) {
  auto* holder = static_cast<SocketHolder*>(data);
  (*holder)->context = nullptr;
  (*holder)->want_read = (*holder)->want_write = false;
  (*holder)->descriptor.release();  // cancels the waits; hiredis closes the fd
  delete holder;
}

}  // namespace

class RedisClient::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, RedisEndpoint endpoint, Options options)
      : io_(io),
        endpoint_(std::move(endpoint)),
        url_(endpoint_.ToUrl()),
        options_(options),
        backoff_(options.reconnect_min, options.reconnect_max),
        reconnect_timer_(io),
        connect_timer_(io) {
    assert(options.connect_timeout > absl::ZeroDuration());
    assert(options.reconnect_min > absl::ZeroDuration());
    assert(options.reconnect_min <= options.reconnect_max);
    assert(options.max_pending >= 1);
  }
  ~Impl() { assert(context_ == nullptr); }

  // Separate from the constructor: the timers' handlers need weak_from_this().
  void Start() { Connect(); }

  void Shutdown() {
    state_ = State::kShutDown;
    reconnect_timer_.cancel();
    connect_timer_.cancel();
    if (redisAsyncContext* ac = context_) {
      context_ = nullptr;
      redisAsyncFree(ac);  // runs pending callbacks with no reply: they complete Unavailable
    }
  }

  void Command(std::vector<std::string> args, Done done) {
    if (args.empty()) {
      Post(std::move(done), absl::InvalidArgumentError("redis: a command needs a name"));
      return;
    }
    if (state_ != State::kConnected) {
      std::string why = StrCat("redis ", url_, ": not connected, command not sent");
      if (!last_error_.ok()) StrAppend(&why, " (", View(last_error_.message()), ")");
      Post(std::move(done), absl::UnavailableError(why));
      return;
    }
    if (pending_ >= options_.max_pending) {
      Post(std::move(done),
           absl::UnavailableError(StrCat("redis ", url_, ": ", pending_,
                                         " commands await replies (max_pending), not sent")));
      return;
    }
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* pending = new PendingCommand{this, std::move(done)};
    if (redisAsyncCommandArgv(context_, &OnReply, pending, static_cast<int>(argv.size()),
                              argv.data(), lengths.data()) != REDIS_OK) {
      Done failed = std::move(pending->done);
      delete pending;
      Post(std::move(failed),
           absl::UnavailableError(StrCat("redis ", url_, ": connection closing, not sent")));
      return;
    }
    ++pending_;
  }

  bool connected() const { return state_ == State::kConnected; }
  int pending() const { return pending_; }
  absl::Status last_error() const { return last_error_; }
  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  enum class State { kConnecting, kConnected, kWaitingToReconnect, kShutDown };

  struct PendingCommand {
    Impl* impl;
    Done done;
  };

  void Post(Done done, absl::Status status) {
    asio::post(io_, [done = std::move(done), status = std::move(status)] { done(status); });
  }

  void Connect() {
    state_ = State::kConnecting;
    ++attempt_;
    redisAsyncContext* ac = redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port);
    if (ac == nullptr || ac->err != 0) {
      last_error_ = absl::UnavailableError(
          StrCat("redis ", url_, ": connect failed: ", ac ? ac->errstr : "out of memory"));
      if (ac) redisAsyncFree(ac);  // no hooks attached yet: this only closes the fd
      state_ = State::kWaitingToReconnect;
      ScheduleReconnect();
      return;
    }
    ac->data = this;
    auto* holder = new SocketHolder(std::make_shared<Socket>(io_, ac->c.fd, ac));
    ac->ev.data = holder;
    ac->ev.addRead = &AddRead;
    ac->ev.delRead = &DelRead;
    ac->ev.addWrite = &AddWrite;
    ac->ev.delWrite = &DelWrite;
    ac->ev.cleanup = &Cleanup;
    context_ = ac;
    // hiredis 0.14 learns that connect(2) finished from the first write event, which it asks for
    // here (addWrite): the hooks above must be in place first.
    redisAsyncSetConnectCallback(ac, &OnConnect);
    redisAsyncSetDisconnectCallback(ac, &OnDisconnect);

    connect_timer_.expires_after(absl::ToChronoNanoseconds(options_.connect_timeout));
    connect_timer_.async_wait(
        [weak = weak_from_this(), attempt = attempt_](const boost::system::error_code& ec) {
          if (ec) return;
          if (auto self = weak.lock()) self->ConnectTimedOut(attempt);
        });
  }

  void ConnectTimedOut(uint64_t attempt) {
    if (attempt != attempt_ || state_ != State::kConnecting || context_ == nullptr) return;
    redisAsyncContext* ac = context_;
    Lost(ac, absl::UnavailableError(StrCat("redis ", url_, ": not connected within ",
                                           absl::FormatDuration(options_.connect_timeout))));
    redisAsyncFree(ac);
  }

  void ScheduleReconnect() {
    reconnect_timer_.expires_after(absl::ToChronoNanoseconds(backoff_.Next()));
    reconnect_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      auto self = weak.lock();
      if (self && self->state_ == State::kWaitingToReconnect) self->Connect();
    });
  }

  void Ready() {
    state_ = State::kConnected;
    connect_timer_.cancel();
    backoff_.Reset();
  }

  // The connection `ac` failed or closed; hiredis frees it (or the caller does). Idempotent.
  void Lost(const redisAsyncContext* ac, absl::Status why) {
    if (ac != context_) return;
    context_ = nullptr;
    last_error_ = std::move(why);
    connect_timer_.cancel();
    if (state_ == State::kShutDown) return;
    state_ = State::kWaitingToReconnect;
    ScheduleReconnect();
  }

  absl::Status LostStatus(const redisAsyncContext* ac, std::string_view what) const {
    const char* detail = ac->errstr != nullptr && ac->errstr[0] != '\0' ? ac->errstr
                         : ac->c.errstr[0] != '\0'                      ? ac->c.errstr
                                                                        : "closed";
    return absl::UnavailableError(StrCat("redis ", url_, ": ", what, ": ", detail));
  }

  // hiredis calls these with the context still alive.
  static void OnConnect(const redisAsyncContext* ac, int status) {
    Impl* self = static_cast<Impl*>(ac->data);
    if (ac != self->context_) return;
    if (status != REDIS_OK) {
      self->Lost(ac, self->LostStatus(ac, "connect failed"));
      return;
    }
    if (self->endpoint_.db == 0) {
      self->Ready();
      return;
    }
    std::string db = StrCat(self->endpoint_.db);
    const char* argv[] = {"SELECT", db.c_str()};
    size_t lengths[] = {6, db.size()};
    redisAsyncCommandArgv(self->context_, &OnSelect, nullptr, 2, argv, lengths);
  }

  static void OnSelect(redisAsyncContext* ac, void* r, void*) {
    Impl* self = static_cast<Impl*>(ac->data);
    if (ac != self->context_ || r == nullptr) return;  // a loss is reported by OnDisconnect
    auto* reply = static_cast<redisReply*>(r);
    if (reply->type == REDIS_REPLY_ERROR) {
      self->Lost(ac, absl::UnavailableError(
                         StrCat("redis ", self->url_, ": SELECT ", self->endpoint_.db,
                                " failed: ", std::string_view(reply->str, reply->len))));
      redisAsyncFree(ac);  // deferred by hiredis until this callback returns
      return;
    }
    self->Ready();
  }

  static void OnDisconnect(const redisAsyncContext* ac, int) {
    Impl* self = static_cast<Impl*>(ac->data);
    self->Lost(ac, self->LostStatus(ac, "connection lost"));
  }

  static void OnReply(redisAsyncContext* ac, void* r, void* privdata) {
    std::unique_ptr<PendingCommand> command(static_cast<PendingCommand*>(privdata));
    Impl* self = command->impl;
    --self->pending_;
    if (r == nullptr) {
      // Replies still owed when the connection goes: say so at once, so that a `done` that
      // sends again is refused rather than queued on a dying connection.
      self->Lost(ac, self->LostStatus(ac, "connection lost"));
      command->done(absl::UnavailableError(
          StrCat("redis ", self->url_,
                 ": connection lost before the reply; the command may have been applied")));
      return;
    }
    auto* reply = static_cast<redisReply*>(r);
    if (reply->type == REDIS_REPLY_ERROR) {
      command->done(absl::FailedPreconditionError(std::string(reply->str, reply->len)));
      return;
    }
    command->done(CopyReply(*reply));
  }

  asio::io_context& io_;
  const RedisEndpoint endpoint_;
  const std::string url_;
  const Options options_;
  ReconnectBackoff backoff_;
  asio::steady_timer reconnect_timer_;
  asio::steady_timer connect_timer_;
  State state_ = State::kConnecting;
  uint64_t attempt_ = 0;
  redisAsyncContext* context_ = nullptr;  // the live connection or attempt, owned by hiredis
  int pending_ = 0;
  absl::Status last_error_;
};

RedisClient::RedisClient(asio::io_context& io, RedisEndpoint endpoint, Options options)
    : impl_(std::make_shared<Impl>(io, std::move(endpoint), options)) {
  impl_->Start();
}

RedisClient::~RedisClient() { impl_->Shutdown(); }

void RedisClient::Command(std::vector<std::string> args, Done done) {
  impl_->Command(std::move(args), std::move(done));
}
bool RedisClient::connected() const { return impl_->connected(); }
int RedisClient::pending() const { return impl_->pending(); }
absl::Status RedisClient::last_error() const { return impl_->last_error(); }
const RedisEndpoint& RedisClient::endpoint() const { return impl_->endpoint(); }

absl::StatusOr<RedisReply> RunRedisCommand(const RedisEndpoint& endpoint,
                                           std::vector<std::string> args, absl::Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  std::optional<absl::StatusOr<RedisReply>> result;
  asio::io_context io;
  RedisClient::Options options;
  options.connect_timeout = timeout;
  options.max_pending = 1;
  RedisClient client(io, endpoint, options);
  auto run_until = [&](auto done) {
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      if (io.stopped()) io.restart();
      io.run_one_until(deadline);
    }
    return done();
  };
  if (!run_until([&] { return client.connected(); })) {
    std::string why = StrCat("redis ", endpoint.ToUrl(), ": not connected within ",
                             absl::FormatDuration(timeout));
    if (!client.last_error().ok()) StrAppend(&why, " (", View(client.last_error().message()), ")");
    return absl::DeadlineExceededError(why);
  }
  client.Command(std::move(args),
                 [&](absl::StatusOr<RedisReply> reply) { result = std::move(reply); });
  if (!run_until([&] { return result.has_value(); })) {
    return absl::DeadlineExceededError(
        StrCat("redis ", endpoint.ToUrl(), ": no reply within ", absl::FormatDuration(timeout)));
  }
  return *std::move(result);
}

}  // namespace vetrina::redis
