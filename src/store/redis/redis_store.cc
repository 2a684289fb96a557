#include "store/redis/redis_store.h"

#include <hiredis/hiredis.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace parley::store {

namespace {

using Reply = std::unique_ptr<redisReply, void (*)(void*)>;

// One turn, atomically. KEYS: meta, events, turn sizes, snapshot, dedup, outbox stream, outbox
// seq, lease. ARGV: expected version, fence, n events, events..., message id, reply, snapshot,
// n outbox, records... Returns {1, new version} or {0, current version} (conflict: nothing
// written): the version moved on, or another writer holds the conversation's lease.
constexpr const char* kAppendScript = R"lua(
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return {0, v} end
local fence = ARGV[2]
if fence ~= '0' then
  local holder = redis.call('GET', KEYS[8])
  if holder and holder ~= fence then return {0, v} end
  if holder == fence then redis.call('DEL', KEYS[8]) end
end
local i = 3
local ne = tonumber(ARGV[i]); i = i + 1
for j = 0, ne - 1, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i + j, i + math.min(j + 999, ne - 1)))
end
i = i + ne
redis.call('RPUSH', KEYS[3], ne)
if ARGV[i] ~= '' then redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1]) end
i = i + 2
if ARGV[i] ~= '' then
  redis.call('SET', KEYS[4], ARGV[i])
  redis.call('HSET', KEYS[1], 'sv', v + ne)
end
i = i + 1
local no = tonumber(ARGV[i]); i = i + 1
if no > 0 then
  local last = redis.call('INCRBY', KEYS[7], no)
  for j = 0, no - 1 do
    redis.call('XADD', KEYS[6], (last - no + j + 1) .. '-0', 'r', ARGV[i + j])
  end
end
redis.call('HINCRBY', KEYS[1], 'v', ne)
redis.call('HINCRBY', KEYS[1], 't', 1)
return {1, v + ne}
)lua";

// A consistent read of a conversation. KEYS: meta, events, snapshot. ARGV: max events.
// Returns {v, t, sv, snapshot, first loaded, events...}.
constexpr const char* kLoadScript = R"lua(
local m = redis.call('HMGET', KEYS[1], 'v', 't', 'sv')
local v = tonumber(m[1] or '0')
local t = tonumber(m[2] or '0')
local sv = tonumber(m[3] or '0')
local snap = ''
local from = 0
if sv > 0 then snap = redis.call('GET', KEYS[3]) or ''; from = sv end
local maxe = tonumber(ARGV[1])
if maxe > 0 and v - from > maxe then from = v - maxe end
local out = {v, t, sv, snap, from}
if from < v then
  local ev = redis.call('LRANGE', KEYS[2], from, v - 1)
  for k = 1, #ev do out[#out + 1] = ev[k] end
end
return out
)lua";

// Events [from, from+count) with their turn numbers. KEYS: events, turn sizes. ARGV: from,
// count. Returns {turn, event, turn, event, ...}.
constexpr const char* kTurnEventsScript = R"lua(
local from = tonumber(ARGV[1])
local ev = redis.call('LRANGE', KEYS[1], from, from + tonumber(ARGV[2]) - 1)
local sizes = redis.call('LRANGE', KEYS[2], 0, -1)
local out = {}
local start = 0
local k = 1
for t = 1, #sizes do
  local n = tonumber(sizes[t])
  while k <= #ev and from + k - 1 < start + n do
    out[#out + 1] = t
    out[#out + 1] = ev[k]
    k = k + 1
  end
  start = start + n
  if k > #ev then break end
end
return out
)lua";

struct Url {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  int db = 0;
};

Result<Url> parse_url(const std::string& url) {
  static constexpr std::string_view kScheme = "redis://";
  if (url.rfind(kScheme, 0) != 0) return Status::invalid("redis url '" + url + "' is not redis://host:port[/db]");
  std::string rest = url.substr(kScheme.size());
  Url u;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    std::string auth = rest.substr(0, at);
    u.password = auth.find(':') != std::string::npos ? auth.substr(auth.find(':') + 1) : auth;
    rest = rest.substr(at + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    u.db = std::atoi(rest.c_str() + slash + 1);
    rest = rest.substr(0, slash);
  }
  if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    u.port = std::atoi(rest.c_str() + colon + 1);
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) u.host = rest;
  if (u.port <= 0 || u.port > 65535) return Status::invalid("redis url '" + url + "': bad port");
  return u;
}

uint64_t fnv1a(std::string_view a, std::string_view b) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(a);
  mix(std::string_view("\0", 1));
  mix(b);
  return h;
}

struct Keys {
  std::string meta, events, sizes, snapshot, dedup, lease, fence;
};

Keys keys_of(const ConversationKey& key) {
  char tag[17];
  std::snprintf(tag, sizeof tag, "%016llx", static_cast<unsigned long long>(fnv1a(key.bot, key.conversation)));
  std::string id = std::to_string(key.bot.size()) + ":" + key.bot + key.conversation;
  std::string base = std::string("parley:{") + tag + "}:";
  return {base + "m:" + id, base + "e:" + id, base + "n:" + id, base + "s:" + id,
          base + "d:" + id, base + "l:" + id, base + "fence"};
}

constexpr const char* kOutboxKey = "parley:outbox";
constexpr const char* kOutboxSeqKey = "parley:outbox:seq";
constexpr const char* kCursorsKey = "parley:cursors";
std::string dead_key(const std::string& sink) { return "parley:dead:" + sink; }

uint64_t to_u64(const redisReply* r) {
  if (!r) return 0;
  if (r->type == REDIS_REPLY_INTEGER) return static_cast<uint64_t>(r->integer);
  if (r->type == REDIS_REPLY_STRING) {
    uint64_t v = 0;
    std::from_chars(r->str, r->str + r->len, v);
    return v;
  }
  return 0;
}

std::string to_str(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? std::string(r->str, r->len)
                                                                              : std::string();
}

// The position of a stream entry id "P-0" (position P - 1).
uint64_t position_of(const redisReply* id) { return to_u64(id) - 1; }

// One connection; reconnects when the previous command broke it.
class Conn {
 public:
  explicit Conn(const Url& url, int timeout_ms) : url_(url), timeout_ms_(timeout_ms) {}
  ~Conn() {
    if (ctx_) redisFree(ctx_);
  }

  Result<Reply> run(const std::vector<std::string_view>& args) {
    // A connection idle since Redis restarted fails its first command: reconnect and try once
    // more (the command did not reach a server that had closed the socket).
    bool fresh = !ctx_;
    auto r = run_once(args);
    if (!r.ok() && !fresh && !ctx_) r = run_once(args);
    return r;
  }

  Result<Reply> run_once(const std::vector<std::string_view>& args) {
    if (!ctx_)
      if (Status s = connect(); !s) return s;
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (auto a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* raw = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (!raw) {
      std::string why = ctx_->errstr;
      redisFree(ctx_);
      ctx_ = nullptr;
      return Status::unavailable("redis " + url_.host + ":" + std::to_string(url_.port) + ": " + why);
    }
    Reply r(raw, freeReplyObject);
    if (r->type == REDIS_REPLY_ERROR) {
      std::string msg(r->str, r->len);
      if (msg.rfind("NOSCRIPT", 0) == 0) return Status(Code::kNotFound, msg);
      if (msg.rfind("LOADING", 0) == 0 || msg.rfind("MASTERDOWN", 0) == 0 || msg.rfind("MISCONF", 0) == 0)
        return Status::unavailable("redis: " + msg);
      return Status::io_error("redis: " + msg);
    }
    return r;
  }

  // EVALSHA, loading the script on NOSCRIPT (after a Redis restart).
  Result<Reply> eval(const std::string& script, const std::string& sha, const std::vector<std::string_view>& keys,
                     const std::vector<std::string_view>& args) {
    std::string nkeys = std::to_string(keys.size());
    std::vector<std::string_view> cmd{"EVALSHA", sha, nkeys};
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto r = run(cmd);
    if (r.ok() || r.status().code() != Code::kNotFound) return r;
    cmd[0] = "EVAL";
    cmd[1] = script;
    return run(cmd);
  }

 private:
  Status connect() {
    timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    ctx_ = redisConnectWithTimeout(url_.host.c_str(), url_.port, tv);
    if (!ctx_ || ctx_->err) {
      std::string why = ctx_ ? ctx_->errstr : "out of memory";
      if (ctx_) redisFree(ctx_);
      ctx_ = nullptr;
      return Status::unavailable("cannot connect to redis " + url_.host + ":" + std::to_string(url_.port) + ": " + why);
    }
    redisSetTimeout(ctx_, tv);
    if (!url_.password.empty()) {
      if (auto r = run({"AUTH", url_.password}); !r.ok()) return r.status();
    }
    if (url_.db != 0) {
      std::string db = std::to_string(url_.db);
      if (auto r = run({"SELECT", db}); !r.ok()) return r.status();
    }
    return Status::ok();
  }

  Url url_;
  int timeout_ms_;
  redisContext* ctx_ = nullptr;
};

}  // namespace

struct RedisStore::Impl {
  RedisStoreOptions options;
  Url url;
  std::string append_sha, load_sha, turn_events_sha;

  // Reads: a pool of connections.
  std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::vector<std::unique_ptr<Conn>> idle;

  // Appends: a queue and writer threads, each with its own connection.
  struct Pending {
    ConversationKey key;
    TurnRecord turn;
    AppendCallback done;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Pending> queue;
  bool stopping = false;
  std::vector<std::thread> writers;
  std::function<void()> commit_listener;

  struct Lease {
    Impl* impl;
    std::unique_ptr<Conn> conn;
    ~Lease() {
      std::lock_guard<std::mutex> lock(impl->pool_mu);
      impl->idle.push_back(std::move(conn));
      impl->pool_cv.notify_one();
    }
    Conn* operator->() { return conn.get(); }
  };

  Lease borrow() {
    std::unique_lock<std::mutex> lock(pool_mu);
    pool_cv.wait(lock, [&] { return !idle.empty(); });
    auto c = std::move(idle.back());
    idle.pop_back();
    return Lease{this, std::move(c)};
  }

  Status append(Conn& conn, const ConversationKey& key, const TurnRecord& t) {
    Keys k = keys_of(key);
    std::string expected = std::to_string(t.expected_version);
    std::string fence = std::to_string(t.fence);
    std::string ne = std::to_string(t.events.size());
    std::string no = std::to_string(t.outbox.size());
    std::vector<std::string_view> args{expected, fence, ne};
    for (const auto& e : t.events) args.push_back(e);
    args.push_back(t.message_id);
    args.push_back(t.reply);
    args.push_back(t.snapshot);
    args.push_back(no);
    for (const auto& o : t.outbox) args.push_back(o);
    auto r = conn.eval(kAppendScript, append_sha, {k.meta, k.events, k.sizes, k.snapshot, k.dedup, kOutboxKey, kOutboxSeqKey, k.lease},
                       args);
    if (!r.ok()) return r.status();
    const redisReply* rep = r->get();
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) return Status::io_error("redis: unexpected append reply");
    if (rep->element[0]->integer != 1)
      return Status::conflict("expected version " + expected + ", the conversation has " +
                              std::to_string(rep->element[1]->integer));
    return Status::ok();
  }

  void run_writer(std::unique_ptr<Conn> conn) {
    while (true) {
      Pending p;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping and drained
        p = std::move(queue.front());
        queue.pop_front();
      }
      Status s = append(*conn, p.key, p.turn);
      if (s.is_ok() && commit_listener) commit_listener();
      p.done(std::move(s));
    }
  }
};

Result<std::shared_ptr<RedisStore>> open_redis_store(const RedisStoreOptions& options) {
  auto url = parse_url(options.url);
  if (!url.ok()) return url.status();
  auto impl = std::make_unique<RedisStore::Impl>();
  impl->options = options;
  impl->url = *url;
  Conn probe(*url, options.timeout_ms);
  auto load = [&](const char* script, std::string& sha) -> Status {
    auto r = probe.run({"SCRIPT", "LOAD", script});
    if (!r.ok()) return r.status();
    sha = to_str(r->get());
    return Status::ok();
  };
  if (Status s = load(kAppendScript, impl->append_sha); !s) return s;
  if (Status s = load(kLoadScript, impl->load_sha); !s) return s;
  if (Status s = load(kTurnEventsScript, impl->turn_events_sha); !s) return s;
  for (size_t i = 0; i < std::max<size_t>(1, options.readers); ++i)
    impl->idle.push_back(std::make_unique<Conn>(*url, options.timeout_ms));
  auto* raw = impl.get();
  for (size_t i = 0; i < std::max<size_t>(1, options.writers); ++i)
    impl->writers.emplace_back(
        [raw, c = std::make_shared<Url>(*url), t = options.timeout_ms] { raw->run_writer(std::make_unique<Conn>(*c, t)); });
  return std::make_shared<RedisStore>(std::move(impl));
}

RedisStore::RedisStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RedisStore::~RedisStore() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->writers) t.join();
}

Result<StoredConversation> RedisStore::load(const ConversationKey& key, size_t max_events) {
  Keys k = keys_of(key);
  std::string maxe = std::to_string(max_events);
  auto conn = impl_->borrow();
  auto r = conn->eval(kLoadScript, impl_->load_sha, {k.meta, k.events, k.snapshot}, {maxe});
  if (!r.ok()) return r.status();
  const redisReply* rep = r->get();
  if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 5) return Status::io_error("redis: unexpected load reply");
  StoredConversation out;
  out.version = to_u64(rep->element[0]);
  out.turns = to_u64(rep->element[1]);
  out.snapshot_version = to_u64(rep->element[2]);
  out.snapshot = to_str(rep->element[3]);
  out.first_loaded = to_u64(rep->element[4]);
  for (size_t i = 5; i < rep->elements; ++i) out.events.push_back(to_str(rep->element[i]));
  if (out.events.size() != out.version - out.first_loaded)
    return Status(Code::kCorruption, "conversation has " + std::to_string(out.version) + " events, " +
                                         std::to_string(out.first_loaded + out.events.size()) + " stored");
  return out;
}

void RedisStore::append_if_version_async(const ConversationKey& key, TurnRecord turn, AppendCallback done) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->queue.push_back({key, std::move(turn), std::move(done)});
  }
  impl_->cv.notify_one();
}

Result<std::optional<std::string>> RedisStore::find_reply(const ConversationKey& key, const std::string& message_id) {
  Keys k = keys_of(key);
  auto conn = impl_->borrow();
  auto r = conn->run({"HGET", k.dedup, message_id});
  if (!r.ok()) return r.status();
  if ((*r)->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  return std::optional<std::string>(to_str(r->get()));
}

Result<std::vector<std::string>> RedisStore::read_events(const ConversationKey& key, uint64_t from, size_t count) {
  if (count == 0) return std::vector<std::string>();
  Keys k = keys_of(key);
  std::string a = std::to_string(from);
  std::string b = std::to_string(from + count - 1);
  auto conn = impl_->borrow();
  auto r = conn->run({"LRANGE", k.events, a, b});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (size_t i = 0; i < (*r)->elements; ++i) out.push_back(to_str((*r)->element[i]));
  return out;
}

Result<std::vector<ConversationStore::TurnEvent>> RedisStore::read_turn_events(const ConversationKey& key,
                                                                               uint64_t from, size_t count) {
  std::vector<TurnEvent> out;
  if (count == 0) return out;
  Keys k = keys_of(key);
  std::string a = std::to_string(from);
  std::string n = std::to_string(count);
  auto conn = impl_->borrow();
  auto r = conn->eval(kTurnEventsScript, impl_->turn_events_sha, {k.events, k.sizes}, {a, n});
  if (!r.ok()) return r.status();
  for (size_t i = 0; i + 1 < (*r)->elements; i += 2)
    out.push_back({to_u64((*r)->element[i]), to_str((*r)->element[i + 1])});
  return out;
}

Result<uint64_t> RedisStore::acquire_lease(const ConversationKey& key, std::chrono::milliseconds ttl, uint64_t held) {
  static constexpr const char* kAcquire = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder and holder == ARGV[2] then redis.call('PEXPIRE', KEYS[1], ARGV[1]); return tonumber(holder) end
if holder then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token
)lua";
  Keys k = keys_of(key);
  std::string ms = std::to_string(ttl.count());
  auto conn = impl_->borrow();
  std::string mine = std::to_string(held);
  auto r = conn->run({"EVAL", kAcquire, "2", k.lease, k.fence, ms, mine});
  if (!r.ok()) return r.status();
  if ((*r)->integer == 0) return Status::conflict("another replica holds conversation '" + key.conversation + "'");
  return static_cast<uint64_t>((*r)->integer);
}

void RedisStore::release_lease(const ConversationKey& key, uint64_t token) {
  static constexpr const char* kRelease = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
)lua";
  Keys k = keys_of(key);
  std::string t = std::to_string(token);
  auto conn = impl_->borrow();
  conn->run({"EVAL", kRelease, "1", k.lease, t});
}

Status RedisStore::check_writable() {
  auto conn = impl_->borrow();
  auto r = conn->run({"SET", "parley:health", "1"});
  return r.ok() ? Status::ok() : r.status();
}

Result<std::vector<OutboxRecord>> RedisStore::read_outbox(uint64_t from, size_t max) {
  std::vector<OutboxRecord> out;
  if (max == 0) return out;
  std::string start = std::to_string(from + 1) + "-0";
  std::string count = std::to_string(max);
  auto conn = impl_->borrow();
  auto r = conn->run({"XRANGE", kOutboxKey, start, "+", "COUNT", count});
  if (!r.ok()) return r.status();
  for (size_t i = 0; i < (*r)->elements; ++i) {
    const redisReply* entry = (*r)->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
    const redisReply* fields = entry->element[1];
    if (fields->type != REDIS_REPLY_ARRAY || fields->elements < 2) continue;
    out.push_back({position_of(entry->element[0]), to_str(fields->element[1])});
  }
  return out;
}

uint64_t RedisStore::next_outbox_seq() const {
  auto conn = impl_->borrow();
  auto r = conn->run({"GET", kOutboxSeqKey});
  return r.ok() ? to_u64(r->get()) : 0;
}

Result<uint64_t> RedisStore::first_outbox_seq() {
  auto conn = impl_->borrow();
  auto r = conn->run({"XRANGE", kOutboxKey, "-", "+", "COUNT", "1"});
  if (!r.ok()) return r.status();
  if ((*r)->elements == 0) {
    auto n = conn->run({"GET", kOutboxSeqKey});
    if (!n.ok()) return n.status();
    return to_u64(n->get());
  }
  return position_of((*r)->element[0]->element[0]);
}

Status RedisStore::trim_outbox(uint64_t below) {
  std::string min = std::to_string(below + 1) + "-0";
  auto conn = impl_->borrow();
  auto r = conn->run({"XTRIM", kOutboxKey, "MINID", min});
  return r.ok() ? Status::ok() : r.status();
}

void RedisStore::set_commit_listener(std::function<void()> listener) { impl_->commit_listener = std::move(listener); }

Result<std::optional<uint64_t>> RedisStore::load_cursor(const std::string& sink) {
  auto conn = impl_->borrow();
  auto r = conn->run({"HGET", kCursorsKey, sink});
  if (!r.ok()) return r.status();
  if ((*r)->type == REDIS_REPLY_NIL) return std::optional<uint64_t>();
  return std::optional<uint64_t>(to_u64(r->get()));
}

Status RedisStore::save_cursor(const std::string& sink, uint64_t cursor) {
  std::string v = std::to_string(cursor);
  auto conn = impl_->borrow();
  auto r = conn->run({"HSET", kCursorsKey, sink, v});
  return r.ok() ? Status::ok() : r.status();
}

Status RedisStore::put_dead_letters(const std::string& sink, const std::vector<OutboxRecord>& records) {
  if (records.empty()) return Status::ok();
  std::vector<std::string> scores;
  for (const auto& rec : records) scores.push_back(std::to_string(rec.seq));
  std::string key = dead_key(sink);
  std::vector<std::string_view> cmd{"ZADD", key};
  for (size_t i = 0; i < records.size(); ++i) {
    cmd.push_back(scores[i]);
    cmd.push_back(records[i].record);
  }
  auto conn = impl_->borrow();
  auto r = conn->run(cmd);
  return r.ok() ? Status::ok() : r.status();
}

Result<std::vector<OutboxRecord>> RedisStore::read_dead_letters(const std::string& sink, uint64_t from, size_t max) {
  std::string key = dead_key(sink);
  std::string min = std::to_string(from);
  std::string count = std::to_string(max);
  auto conn = impl_->borrow();
  auto r = conn->run({"ZRANGEBYSCORE", key, min, "+inf", "WITHSCORES", "LIMIT", "0", count});
  if (!r.ok()) return r.status();
  std::vector<OutboxRecord> out;
  for (size_t i = 0; i + 1 < (*r)->elements; i += 2)
    out.push_back({to_u64((*r)->element[i + 1]), to_str((*r)->element[i])});
  return out;
}

Status RedisStore::delete_dead_letters(const std::string& sink, const std::vector<uint64_t>& positions) {
  std::string key = dead_key(sink);
  auto conn = impl_->borrow();
  for (uint64_t p : positions) {
    std::string s = std::to_string(p);
    auto r = conn->run({"ZREMRANGEBYSCORE", key, s, s});
    if (!r.ok()) return r.status();
  }
  return Status::ok();
}

Result<bool> RedisStore::claim_relay(const std::string& owner, std::chrono::milliseconds ttl) {
  // Take the claim when free, renew it when ours; one script so the check and the renewal are atomic.
  static constexpr const char* kClaim = R"lua(
local cur = redis.call('GET', KEYS[1])
if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 1 end
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
return 0
)lua";
  std::string ms = std::to_string(ttl.count());
  auto conn = impl_->borrow();
  auto r = conn->run({"EVAL", kClaim, "1", "parley:relay:claim", owner, ms});
  if (!r.ok()) return r.status();
  return (*r)->integer == 1;
}

}  // namespace parley::store
