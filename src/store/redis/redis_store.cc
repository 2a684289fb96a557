#include "store/redis/redis_store.h"

#include <hiredis/hiredis.h>

#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <set>
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

// The lease. KEYS: lease, fence counter. ARGV: ttl ms, the token the caller holds. Returns the
// token (renewed, or new from the counter) or 0 while another holder has it.
constexpr const char* kAcquireScript = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder and holder == ARGV[2] then redis.call('PEXPIRE', KEYS[1], ARGV[1]); return tonumber(holder) end
if holder then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token
)lua";

// Gives the lease back if the caller still holds it. KEYS: lease. ARGV: token.
constexpr const char* kReleaseScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
)lua";

// The relay claim: taken when free, renewed when ours, atomically. KEYS: claim. ARGV: owner, ttl ms.
constexpr const char* kClaimScript = R"lua(
local cur = redis.call('GET', KEYS[1])
if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 1 end
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
return 0
)lua";

// The start of a turn. KEYS: lease, fence counter, meta, dedup. ARGV: ttl ms, the token the caller
// holds (0 = none), message id ("" = none). Returns {reply, 0} when the message id has a stored
// reply (a retry: no lease taken, the caller's released), else {token, version} with the lease
// taken or renewed, or {0, 0} while another holder has it.
constexpr const char* kBeginTurnScript = R"lua(
local holder = redis.call('GET', KEYS[1])
if ARGV[3] ~= '' then
  local reply = redis.call('HGET', KEYS[4], ARGV[3])
  if reply then
    if holder and holder == ARGV[2] then redis.call('DEL', KEYS[1]) end
    return {reply, 0}
  end
end
local token
if holder and holder == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  token = tonumber(holder)
elseif holder then
  return {0, 0}
else
  token = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
end
return {token, tonumber(redis.call('HGET', KEYS[3], 'v') or '0')}
)lua";

// Cluster: one partition's new outbox records into the global stream. KEYS: merge marks (hash
// partition -> last merged entry of its stream), global stream, global seq. ARGV: partition,
// the mark the caller read, the last entry it copies, n, records... Copies nothing (0) when the
// mark moved meanwhile (another merge copied them).
constexpr const char* kMergeScript = R"lua(
local mark = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if mark ~= tonumber(ARGV[2]) then return 0 end
local n = tonumber(ARGV[4])
local last = redis.call('INCRBY', KEYS[3], n)
for j = 1, n do
  redis.call('XADD', KEYS[2], (last - n + j) .. '-0', 'r', ARGV[4 + j])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return n
)lua";

struct Url {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  int db = 0;
};

// redis://[:password@]host:port[/db], or redis+cluster://[:password@]host:port[,host:port...]
// (seed nodes of a Redis Cluster; the rest of the cluster is learnt from CLUSTER SLOTS).
struct Target {
  bool cluster = false;
  std::vector<Url> nodes;  // one for redis://, the seeds for redis+cluster://
};

Result<Target> parse_url(const std::string& url) {
  static constexpr std::string_view kScheme = "redis://", kClusterScheme = "redis+cluster://";
  Target t;
  std::string rest;
  if (url.rfind(kScheme, 0) == 0) {
    rest = url.substr(kScheme.size());
  } else if (url.rfind(kClusterScheme, 0) == 0) {
    rest = url.substr(kClusterScheme.size());
    t.cluster = true;
  } else {
    return Status::invalid("redis url '" + url + "' is not redis://host:port[/db] or redis+cluster://host:port[,host:port]");
  }
  std::string password;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    std::string auth = rest.substr(0, at);
    password = auth.find(':') != std::string::npos ? auth.substr(auth.find(':') + 1) : auth;
    rest = rest.substr(at + 1);
  }
  int db = 0;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    if (t.cluster) return Status::invalid("redis url '" + url + "': a Redis Cluster has no databases (/db)");
    db = std::atoi(rest.c_str() + slash + 1);
    rest = rest.substr(0, slash);
  }
  size_t start = 0;
  while (true) {
    size_t comma = rest.find(',', start);
    std::string hostport = rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    Url u;
    u.password = password;
    u.db = db;
    if (auto colon = hostport.rfind(':'); colon != std::string::npos) {
      u.port = std::atoi(hostport.c_str() + colon + 1);
      hostport = hostport.substr(0, colon);
    }
    if (!hostport.empty()) u.host = hostport;
    if (u.port <= 0 || u.port > 65535) return Status::invalid("redis url '" + url + "': bad port");
    t.nodes.push_back(u);
    if (comma == std::string::npos) break;
    if (!t.cluster) return Status::invalid("redis url '" + url + "': several hosts need redis+cluster://");
    start = comma + 1;
  }
  return t;
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

constexpr uint16_t kSlots = 16384;
// Partitions of a Redis Cluster deployment: a conversation's keys and the outbox stream its turns
// write to share a hash tag, one of 64 spread evenly over the slots (so over the masters).
constexpr size_t kClusterPartitions = 64;

// CRC16-XMODEM, as Redis Cluster hashes keys.
uint16_t crc16(std::string_view s) {
  uint16_t crc = 0;
  for (unsigned char c : s) {
    crc ^= static_cast<uint16_t>(c) << 8;
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

// The cluster slot of a key: of its hash tag ({...}) when it has a non-empty one.
uint16_t key_slot(std::string_view key) {
  if (auto open = key.find('{'); open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return crc16(key) % kSlots;
}

// A conversation's keys, and the outbox stream and counter its turns append to.
struct Keys {
  std::string meta, events, sizes, snapshot, dedup, lease, fence, outbox, outbox_seq;
};

// Key names. On one Redis node: a hash tag per conversation and ONE outbox stream that every turn
// appends to. On a Redis Cluster a Lua script may only touch keys of one slot, so a conversation
// is tagged with its partition, each partition has its own outbox stream in that slot, and
// whoever reads the outbox first merges the partitions' new records into the global stream
// (merge_partitions: a conditional script on the global slot, so a record is merged once).
class Layout {
 public:
  explicit Layout(bool cluster) : cluster_(cluster) {
    std::string g = cluster ? "parley:{parley}:" : "parley:";
    outbox = g + "outbox";
    outbox_seq = g + "outbox:seq";
    cursors = g + "cursors";
    claim = g + "relay:claim";
    health = g + "health";
    merged = g + "merged";
    dead_prefix = g + "dead:";
    if (!cluster) return;
    for (size_t p = 0; p < kClusterPartitions; ++p) {
      const size_t lo = p * kSlots / kClusterPartitions, hi = (p + 1) * kSlots / kClusterPartitions;
      for (size_t k = 0;; ++k) {
        std::string tag = "p" + std::to_string(p) + "." + std::to_string(k);
        size_t slot = key_slot(tag);
        if (slot >= lo && slot < hi) {
          tags_.push_back(tag);
          break;
        }
      }
    }
  }

  bool cluster() const { return cluster_; }
  std::string outbox, outbox_seq, cursors, claim, health, merged, dead_prefix;
  std::string dead(const std::string& sink) const { return dead_prefix + sink; }

  size_t partitions() const { return tags_.size(); }
  std::string partition_outbox(size_t p) const { return "parley:{" + tags_[p] + "}:outbox"; }
  std::string partition_health(size_t p) const { return "parley:{" + tags_[p] + "}:health"; }

  Keys conversation(const ConversationKey& key) const {
    uint64_t h = fnv1a(key.bot, key.conversation);
    std::string tag;
    if (cluster_) {
      tag = tags_[h % tags_.size()];
    } else {
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
      tag = hex;
    }
    std::string id = std::to_string(key.bot.size()) + ":" + key.bot + key.conversation;
    std::string base = "parley:{" + tag + "}:";
    Keys k{base + "m:" + id, base + "e:" + id, base + "n:" + id, base + "s:" + id, base + "d:" + id,
           base + "l:" + id, base + "fence", outbox, outbox_seq};
    if (cluster_) {
      k.outbox = base + "outbox";
      k.outbox_seq = base + "outbox:seq";
    }
    return k;
  }

 private:
  bool cluster_;
  std::vector<std::string> tags_;
};

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

// A Redis error reply as a Status: unavailable for the ones that pass (a restarting or failing
// over server), kNotFound for NOSCRIPT.
Status error_status(std::string_view msg) {
  if (msg.rfind("NOSCRIPT", 0) == 0) return Status(Code::kNotFound, std::string(msg));
  for (std::string_view passing : {"LOADING", "MASTERDOWN", "MISCONF", "CLUSTERDOWN", "TRYAGAIN", "MOVED", "ASK"})
    if (msg.rfind(passing, 0) == 0) return Status::unavailable("redis: " + std::string(msg));
  return Status::io_error("redis: " + std::string(msg));
}

bool is_error(const Reply& r) { return r->type == REDIS_REPLY_ERROR; }
std::string_view error_text(const Reply& r) { return {r->str, r->len}; }

// One connection; reconnects when the previous command broke it. Error replies are returned as
// replies: the caller decides (a cluster client follows MOVED and ASK).
class Conn {
 public:
  explicit Conn(const Url& url, int timeout_ms) : url_(url), timeout_ms_(timeout_ms) {}
  ~Conn() {
    if (ctx_) redisFree(ctx_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  Result<Reply> command(const std::vector<std::string_view>& args) {
    auto r = pipeline({args});
    if (!r.ok()) return r.status();
    return std::move(r->front());
  }

  // The commands in one round trip, their replies in order.
  Result<std::vector<Reply>> pipeline(const std::vector<std::vector<std::string_view>>& commands) {
    // A connection idle since Redis restarted fails its first command: reconnect and try once
    // more (the commands did not reach a server that had closed the socket).
    bool fresh = !ctx_;
    auto r = pipeline_once(commands);
    if (!r.ok() && !fresh && !ctx_) r = pipeline_once(commands);
    return r;
  }

 private:
  Result<std::vector<Reply>> pipeline_once(const std::vector<std::vector<std::string_view>>& commands) {
    if (!ctx_)
      if (Status s = connect(); !s) return s;
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& args : commands) {
      argv.clear();
      lens.clear();
      for (auto a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
      }
      if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK)
        return broken();
    }
    std::vector<Reply> out;
    out.reserve(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) return broken();
      out.emplace_back(static_cast<redisReply*>(raw), freeReplyObject);
    }
    return out;
  }

  Status broken() {
    std::string why = ctx_->errstr;
    redisFree(ctx_);
    ctx_ = nullptr;
    return Status::unavailable("redis " + url_.host + ":" + std::to_string(url_.port) + ": " + why);
  }

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
    auto setup = [&](const std::vector<std::string_view>& args) -> Status {
      auto r = pipeline_once({args});
      if (!r.ok()) return r.status();
      if (is_error(r->front())) {
        Status s = error_status(error_text(r->front()));
        redisFree(ctx_);
        ctx_ = nullptr;
        return s;
      }
      return Status::ok();
    };
    if (!url_.password.empty())
      if (Status s = setup({"AUTH", url_.password}); !s) return s;
    if (url_.db != 0) {
      std::string db = std::to_string(url_.db);
      if (Status s = setup({"SELECT", db}); !s) return s;
    }
    return Status::ok();
  }

  Url url_;
  int timeout_ms_;
  redisContext* ctx_ = nullptr;
};

// What the store talks to: one Redis node, or a Redis Cluster. Not thread-safe: a pool hands
// each out to one thread at a time.
class Client {
 public:
  virtual ~Client() = default;
  // Runs a command on the node that serves `key` (any node when empty); an error reply becomes
  // a Status.
  virtual Result<Reply> run(std::string_view key, const std::vector<std::string_view>& args) = 0;

  // EVALSHA, loading the script on NOSCRIPT (after a Redis restart, or on another cluster node).
  Result<Reply> eval(const std::string& script, const std::string& sha, const std::vector<std::string_view>& keys,
                     const std::vector<std::string_view>& args) {
    std::string nkeys = std::to_string(keys.size());
    std::vector<std::string_view> cmd{"EVALSHA", sha, nkeys};
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    std::string_view key = keys.empty() ? std::string_view() : keys.front();
    auto r = run(key, cmd);
    if (r.ok() || r.status().code() != Code::kNotFound) return r;
    cmd[0] = "EVAL";
    cmd[1] = script;
    return run(key, cmd);
  }
};

class NodeClient final : public Client {
 public:
  NodeClient(const Url& url, int timeout_ms) : conn_(url, timeout_ms) {}
  Result<Reply> run(std::string_view, const std::vector<std::string_view>& args) override {
    auto r = conn_.command(args);
    if (!r.ok()) return r.status();
    if (is_error(*r)) return error_status(error_text(*r));
    return r;
  }

 private:
  Conn conn_;
};

// Which master serves which slot, learnt from CLUSTER SLOTS and corrected by MOVED replies.
// Shared by all the cluster clients of a store.
class Topology {
 public:
  Topology(std::vector<Url> seeds, int timeout_ms) : seeds_(std::move(seeds)), timeout_ms_(timeout_ms) {
    slots_.fill(-1);
  }

  // The master of `slot`, empty when not known.
  std::optional<Url> node_for(uint16_t slot) {
    std::lock_guard<std::mutex> lock(mu_);
    int i = slots_[slot];
    if (i < 0) return std::nullopt;
    return nodes_[i];
  }

  void moved(uint16_t slot, const Url& to) {
    std::lock_guard<std::mutex> lock(mu_);
    slots_[slot] = index_locked(to);
  }

  std::vector<Url> masters() {
    std::lock_guard<std::mutex> lock(mu_);
    return nodes_;
  }

  // Asks the known nodes, then the seeds, for the slot map. Concurrent callers share one refresh.
  Status refresh() {
    std::unique_lock<std::mutex> refreshing(refresh_mu_, std::try_to_lock);
    if (!refreshing.owns_lock()) {
      std::lock_guard<std::mutex> wait(refresh_mu_);  // another thread refreshes: wait for it
      return Status::ok();
    }
    std::vector<Url> ask = masters();
    ask.insert(ask.end(), seeds_.begin(), seeds_.end());
    Status last = Status::unavailable("redis cluster: no node to ask");
    for (const auto& node : ask) {
      Conn c(node, timeout_ms_);
      auto r = c.command({"CLUSTER", "SLOTS"});
      if (!r.ok()) {
        last = r.status();
        continue;
      }
      if (is_error(*r)) {
        last = error_status(error_text(*r));
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      slots_.fill(-1);
      const redisReply* rep = r->get();
      size_t covered = 0;
      for (size_t i = 0; i < rep->elements; ++i) {
        const redisReply* range = rep->element[i];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3) continue;
        const redisReply* master = range->element[2];
        if (master->type != REDIS_REPLY_ARRAY || master->elements < 2) continue;
        Url u = node;  // password
        std::string host = to_str_(master->element[0]);
        if (!host.empty() && host != "?") u.host = host;
        u.port = static_cast<int>(master->element[1]->integer);
        int index = index_locked(u);
        for (long long s = range->element[0]->integer; s <= range->element[1]->integer && s < kSlots; ++s) {
          slots_[s] = index;
          ++covered;
        }
      }
      if (covered == 0) {
        last = Status::unavailable("redis cluster: " + node.host + ":" + std::to_string(node.port) + " serves no slot");
        continue;
      }
      return Status::ok();
    }
    return last;
  }

 private:
  static std::string to_str_(const redisReply* r) {
    return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
  }
  int index_locked(const Url& u) {
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].host == u.host && nodes_[i].port == u.port) return static_cast<int>(i);
    nodes_.push_back(u);
    return static_cast<int>(nodes_.size() - 1);
  }

  std::vector<Url> seeds_;
  int timeout_ms_;
  std::mutex refresh_mu_;
  std::mutex mu_;
  std::vector<Url> nodes_;
  std::array<int, kSlots> slots_;
};

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381" -> the node named.
std::optional<Url> redirect_target(std::string_view msg, const Url& like) {
  auto space = msg.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view hostport = msg.substr(space + 1);
  auto colon = hostport.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  Url u = like;
  if (colon > 0) u.host = std::string(hostport.substr(0, colon));
  u.port = std::atoi(std::string(hostport.substr(colon + 1)).c_str());
  if (u.port <= 0) return std::nullopt;
  return u;
}

// A Redis Cluster client: each command goes to the master of its key's slot over that node's
// connection; MOVED updates the slot map (and refreshes it), ASK is followed once with ASKING,
// TRYAGAIN and CLUSTERDOWN are retried briefly, a broken connection refreshes the map (failover).
class ClusterClient final : public Client {
 public:
  ClusterClient(std::shared_ptr<Topology> topology, Url like, int timeout_ms)
      : topology_(std::move(topology)), like_(std::move(like)), timeout_ms_(timeout_ms) {}

  Result<Reply> run(std::string_view key, const std::vector<std::string_view>& args) override {
    auto r = send(key, {args});
    if (!r.ok()) return r.status();
    Reply reply = std::move(r->front());
    if (is_error(reply)) return error_status(error_text(reply));
    return reply;
  }

 private:
  // Commands that all touch keys of one slot (`key`'s) in one round trip, replies in order.
  Result<std::vector<Reply>> send(std::string_view key, const std::vector<std::vector<std::string_view>>& commands) {
    const uint16_t slot = key.empty() ? 0 : key_slot(key);
    std::optional<Url> ask;
    Status last = Status::unavailable("redis cluster: slot " + std::to_string(slot) + " has no master");
    for (int attempt = 0; attempt < 6; ++attempt) {
      if (attempt > 1) std::this_thread::sleep_for(std::chrono::milliseconds(25 * attempt));
      std::optional<Url> node = ask ? ask : topology_->node_for(slot);
      if (!node) {
        if (Status s = topology_->refresh(); !s) last = s;
        node = topology_->node_for(slot);
        if (!node) continue;
      }
      Conn& c = conn(*node);
      std::vector<std::vector<std::string_view>> sent;
      if (ask) sent.push_back({"ASKING"});
      sent.insert(sent.end(), commands.begin(), commands.end());
      auto r = c.pipeline(sent);
      if (!r.ok()) {  // the node is gone (failover, restart): ask the cluster again
        last = r.status();
        topology_->refresh();
        ask.reset();
        continue;
      }
      if (ask) r->erase(r->begin());
      ask.reset();
      // A redirect or a passing error on the first reply means none of the commands ran there
      // (they all touch the same slot): try again where the cluster says.
      const Reply& first = r->front();
      if (is_error(first)) {
        std::string_view msg = error_text(first);
        if (msg.rfind("MOVED ", 0) == 0) {
          if (auto to = redirect_target(msg, like_)) topology_->moved(slot, *to);
          topology_->refresh();
          last = error_status(msg);
          continue;
        }
        if (msg.rfind("ASK ", 0) == 0) {
          ask = redirect_target(msg, like_);
          last = error_status(msg);
          continue;
        }
        if (msg.rfind("TRYAGAIN", 0) == 0 || msg.rfind("CLUSTERDOWN", 0) == 0) {
          last = error_status(msg);
          continue;
        }
      }
      return r;
    }
    return last;
  }

  Conn& conn(const Url& node) {
    std::string name = node.host + ":" + std::to_string(node.port);
    auto& c = conns_[name];
    if (!c) c = std::make_unique<Conn>(node, timeout_ms_);
    return *c;
  }

  std::shared_ptr<Topology> topology_;
  Url like_;
  int timeout_ms_;
  std::map<std::string, std::unique_ptr<Conn>> conns_;
};

}  // namespace

struct RedisStore::Impl {
  RedisStoreOptions options;
  Target target;
  Layout layout{false};
  std::shared_ptr<Topology> topology;  // cluster only
  std::string append_sha, load_sha, turn_events_sha, merge_sha, begin_turn_sha, acquire_sha, release_sha,
      claim_sha;

  std::unique_ptr<Client> make_client() const {
    if (target.cluster) return std::make_unique<ClusterClient>(topology, target.nodes.front(), options.timeout_ms);
    return std::make_unique<NodeClient>(target.nodes.front(), options.timeout_ms);
  }

  // Reads: a pool of clients.
  std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::vector<std::unique_ptr<Client>> idle;

  // Appends: a queue and writer threads, each with its own client.
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

  // One merge of the partitions' outboxes at a time in this process.
  std::mutex merge_mu;

  struct Lease {
    Impl* impl;
    std::unique_ptr<Client> client;
    ~Lease() {
      std::lock_guard<std::mutex> lock(impl->pool_mu);
      impl->idle.push_back(std::move(client));
      impl->pool_cv.notify_one();
    }
    Client* operator->() { return client.get(); }
  };

  Lease borrow() {
    std::unique_lock<std::mutex> lock(pool_mu);
    pool_cv.wait(lock, [&] { return !idle.empty(); });
    auto c = std::move(idle.back());
    idle.pop_back();
    return Lease{this, std::move(c)};
  }

  Status append(Client& client, const ConversationKey& key, const TurnRecord& t) {
    Keys k = layout.conversation(key);
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
    auto r = client.eval(kAppendScript, append_sha,
                         {k.meta, k.events, k.sizes, k.snapshot, k.dedup, k.outbox, k.outbox_seq, k.lease}, args);
    if (!r.ok()) return r.status();
    const redisReply* rep = r->get();
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) return Status::io_error("redis: unexpected append reply");
    if (rep->element[0]->integer != 1)
      return Status::conflict("expected version " + expected + ", the conversation has " +
                              std::to_string(rep->element[1]->integer));
    return Status::ok();
  }

  void run_writer(std::unique_ptr<Client> client) {
    while (true) {
      Pending p;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping and drained
        p = std::move(queue.front());
        queue.pop_front();
      }
      Status s = append(*client, p.key, p.turn);
      if (s.is_ok() && commit_listener) commit_listener();
      p.done(std::move(s));
    }
  }

  // Cluster only: moves the records the turns appended to the partitions' outbox streams into the
  // global stream, in each partition's order, numbering them there. Per partition, the copy and
  // the partition's merge mark are one script on the global slot that runs only if the mark is
  // still the one this merge read, so concurrent merges (every replica's relay readers) copy a
  // record once; the partition stream is trimmed after.
  Status merge_partitions(Client& client, size_t max_per_partition = 1000) {
    if (!layout.cluster()) return Status::ok();
    std::lock_guard<std::mutex> merging(merge_mu);
    auto marks = client.run(layout.merged, {"HGETALL", layout.merged});
    if (!marks.ok()) return marks.status();
    std::vector<uint64_t> merged(layout.partitions(), 0);
    for (size_t i = 0; i + 1 < (*marks)->elements; i += 2) {
      size_t p = to_u64((*marks)->element[i]);
      if (p < merged.size()) merged[p] = to_u64((*marks)->element[i + 1]);
    }
    const std::string count = std::to_string(max_per_partition);
    for (size_t p = 0; p < layout.partitions(); ++p) {
      const std::string stream = layout.partition_outbox(p);
      const std::string start = "(" + std::to_string(merged[p]) + "-0";
      auto r = client.run(stream, {"XRANGE", stream, start, "+", "COUNT", count});
      if (!r.ok()) return r.status();
      if ((*r)->elements == 0) continue;
      std::vector<std::string> records;
      uint64_t last = merged[p];
      for (size_t i = 0; i < (*r)->elements; ++i) {
        const redisReply* entry = (*r)->element[i];
        if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
        const redisReply* fields = entry->element[1];
        if (fields->type != REDIS_REPLY_ARRAY || fields->elements < 2) continue;
        last = to_u64(entry->element[0]);
        records.push_back(to_str(fields->element[1]));
      }
      std::string part = std::to_string(p), expected = std::to_string(merged[p]), upto = std::to_string(last);
      std::string n = std::to_string(records.size());
      std::vector<std::string_view> args{part, expected, upto, n};
      for (const auto& rec : records) args.push_back(rec);
      auto m = client.eval(kMergeScript, merge_sha, {layout.merged, layout.outbox, layout.outbox_seq}, args);
      if (!m.ok()) return m.status();
      // Merged now (by this call or a concurrent one): the partition keeps what is not yet.
      std::string min = std::to_string(last + 1) + "-0";
      auto t = client.run(stream, {"XTRIM", stream, "MINID", min});
      if (!t.ok()) return t.status();
    }
    return Status::ok();
  }
};

Result<std::shared_ptr<RedisStore>> open_redis_store(const RedisStoreOptions& options) {
  auto target = parse_url(options.url);
  if (!target.ok()) return target.status();
  auto impl = std::make_unique<RedisStore::Impl>();
  impl->options = options;
  impl->target = *target;
  impl->layout = Layout(target->cluster);
  if (target->cluster) {
    impl->topology = std::make_shared<Topology>(target->nodes, options.timeout_ms);
    if (Status s = impl->topology->refresh(); !s) return s;
  }
  auto probe = impl->make_client();
  auto load = [&](const char* script, std::string& sha) -> Status {
    auto r = probe->run("", {"SCRIPT", "LOAD", script});
    if (!r.ok()) return r.status();
    sha = to_str(r->get());
    return Status::ok();
  };
  if (Status s = load(kAppendScript, impl->append_sha); !s) return s;
  if (Status s = load(kLoadScript, impl->load_sha); !s) return s;
  if (Status s = load(kTurnEventsScript, impl->turn_events_sha); !s) return s;
  if (Status s = load(kMergeScript, impl->merge_sha); !s) return s;
  if (Status s = load(kBeginTurnScript, impl->begin_turn_sha); !s) return s;
  if (Status s = load(kAcquireScript, impl->acquire_sha); !s) return s;
  if (Status s = load(kReleaseScript, impl->release_sha); !s) return s;
  if (Status s = load(kClaimScript, impl->claim_sha); !s) return s;
  for (size_t i = 0; i < std::max<size_t>(1, options.readers); ++i) impl->idle.push_back(impl->make_client());
  auto* raw = impl.get();
  for (size_t i = 0; i < std::max<size_t>(1, options.writers); ++i)
    impl->writers.emplace_back([raw, c = raw->make_client()]() mutable { raw->run_writer(std::move(c)); });
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
  Keys k = impl_->layout.conversation(key);
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
  Keys k = impl_->layout.conversation(key);
  auto conn = impl_->borrow();
  auto r = conn->run(k.dedup, {"HGET", k.dedup, message_id});
  if (!r.ok()) return r.status();
  if ((*r)->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  return std::optional<std::string>(to_str(r->get()));
}

Result<std::vector<std::string>> RedisStore::read_events(const ConversationKey& key, uint64_t from, size_t count) {
  if (count == 0) return std::vector<std::string>();
  Keys k = impl_->layout.conversation(key);
  std::string a = std::to_string(from);
  std::string b = std::to_string(from + count - 1);
  auto conn = impl_->borrow();
  auto r = conn->run(k.events, {"LRANGE", k.events, a, b});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (size_t i = 0; i < (*r)->elements; ++i) out.push_back(to_str((*r)->element[i]));
  return out;
}

Result<std::vector<ConversationStore::TurnEvent>> RedisStore::read_turn_events(const ConversationKey& key,
                                                                               uint64_t from, size_t count) {
  std::vector<TurnEvent> out;
  if (count == 0) return out;
  Keys k = impl_->layout.conversation(key);
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
  Keys k = impl_->layout.conversation(key);
  std::string ms = std::to_string(ttl.count());
  auto conn = impl_->borrow();
  std::string mine = std::to_string(held);
  auto r = conn->eval(kAcquireScript, impl_->acquire_sha, {k.lease, k.fence}, {ms, mine});
  if (!r.ok()) return r.status();
  if ((*r)->integer == 0) return Status::conflict("another replica holds conversation '" + key.conversation + "'");
  return static_cast<uint64_t>((*r)->integer);
}

Result<ConversationStore::TurnStart> RedisStore::begin_turn(const ConversationKey& key, std::chrono::milliseconds ttl,
                                                            uint64_t held, const std::string& message_id) {
  Keys k = impl_->layout.conversation(key);
  std::string ms = std::to_string(ttl.count());
  std::string mine = std::to_string(held);
  auto conn = impl_->borrow();
  auto r = conn->eval(kBeginTurnScript, impl_->begin_turn_sha, {k.lease, k.fence, k.meta, k.dedup}, {ms, mine, message_id});
  if (!r.ok()) return r.status();
  const redisReply* rep = r->get();
  if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 2) return Status::io_error("redis: unexpected begin reply");
  TurnStart out;
  if (rep->element[0]->type == REDIS_REPLY_INTEGER && rep->element[0]->integer == 0)
    return Status::conflict("another replica holds conversation '" + key.conversation + "'");
  if (rep->element[0]->type == REDIS_REPLY_STRING) {
    out.reply = to_str(rep->element[0]);
    return out;
  }
  out.fence = static_cast<uint64_t>(rep->element[0]->integer);
  out.version = to_u64(rep->element[1]);
  return out;
}

void RedisStore::release_lease(const ConversationKey& key, uint64_t token) {
  Keys k = impl_->layout.conversation(key);
  std::string t = std::to_string(token);
  auto conn = impl_->borrow();
  conn->eval(kReleaseScript, impl_->release_sha, {k.lease}, {t});
}

Status RedisStore::check_writable() {
  auto conn = impl_->borrow();
  const auto& layout = impl_->layout;
  auto r = conn->run(layout.health, {"SET", layout.health, "1"});
  if (!r.ok() || !layout.cluster()) return r.ok() ? Status::ok() : r.status();
  // A cluster is writable when every master is: one key on each (a partition it serves).
  std::set<std::string> checked;
  for (size_t p = 0; p < layout.partitions(); ++p) {
    std::string key = layout.partition_health(p);
    auto node = impl_->topology->node_for(key_slot(key));
    if (node && !checked.insert(node->host + ":" + std::to_string(node->port)).second) continue;
    auto w = conn->run(key, {"SET", key, "1"});
    if (!w.ok()) return w.status();
  }
  return Status::ok();
}

Result<std::vector<OutboxRecord>> RedisStore::read_outbox(uint64_t from, size_t max) {
  std::vector<OutboxRecord> out;
  if (max == 0) return out;
  std::string start = std::to_string(from + 1) + "-0";
  std::string count = std::to_string(max);
  auto conn = impl_->borrow();
  if (Status s = impl_->merge_partitions(*conn.client); !s) return s;
  auto r = conn->run(impl_->layout.outbox, {"XRANGE", impl_->layout.outbox, start, "+", "COUNT", count});
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
  auto r = conn->run(impl_->layout.outbox_seq, {"GET", impl_->layout.outbox_seq});
  return r.ok() ? to_u64(r->get()) : 0;
}

Result<uint64_t> RedisStore::first_outbox_seq() {
  auto conn = impl_->borrow();
  auto r = conn->run(impl_->layout.outbox, {"XRANGE", impl_->layout.outbox, "-", "+", "COUNT", "1"});
  if (!r.ok()) return r.status();
  if ((*r)->elements == 0) {
    auto n = conn->run(impl_->layout.outbox_seq, {"GET", impl_->layout.outbox_seq});
    if (!n.ok()) return n.status();
    return to_u64(n->get());
  }
  return position_of((*r)->element[0]->element[0]);
}

Status RedisStore::trim_outbox(uint64_t below) {
  std::string min = std::to_string(below + 1) + "-0";
  auto conn = impl_->borrow();
  auto r = conn->run(impl_->layout.outbox, {"XTRIM", impl_->layout.outbox, "MINID", min});
  return r.ok() ? Status::ok() : r.status();
}

void RedisStore::set_commit_listener(std::function<void()> listener) { impl_->commit_listener = std::move(listener); }

Result<std::optional<uint64_t>> RedisStore::load_cursor(const std::string& sink) {
  auto conn = impl_->borrow();
  auto r = conn->run(impl_->layout.cursors, {"HGET", impl_->layout.cursors, sink});
  if (!r.ok()) return r.status();
  if ((*r)->type == REDIS_REPLY_NIL) return std::optional<uint64_t>();
  return std::optional<uint64_t>(to_u64(r->get()));
}

Status RedisStore::save_cursor(const std::string& sink, uint64_t cursor) {
  std::string v = std::to_string(cursor);
  auto conn = impl_->borrow();
  auto r = conn->run(impl_->layout.cursors, {"HSET", impl_->layout.cursors, sink, v});
  return r.ok() ? Status::ok() : r.status();
}

Status RedisStore::put_dead_letters(const std::string& sink, const std::vector<OutboxRecord>& records) {
  if (records.empty()) return Status::ok();
  std::vector<std::string> scores;
  for (const auto& rec : records) scores.push_back(std::to_string(rec.seq));
  std::string key = impl_->layout.dead(sink);
  std::vector<std::string_view> cmd{"ZADD", key};
  for (size_t i = 0; i < records.size(); ++i) {
    cmd.push_back(scores[i]);
    cmd.push_back(records[i].record);
  }
  auto conn = impl_->borrow();
  auto r = conn->run(key, cmd);
  return r.ok() ? Status::ok() : r.status();
}

Result<std::vector<OutboxRecord>> RedisStore::read_dead_letters(const std::string& sink, uint64_t from, size_t max) {
  std::string key = impl_->layout.dead(sink);
  std::string min = std::to_string(from);
  std::string count = std::to_string(max);
  auto conn = impl_->borrow();
  auto r = conn->run(key, {"ZRANGEBYSCORE", key, min, "+inf", "WITHSCORES", "LIMIT", "0", count});
  if (!r.ok()) return r.status();
  std::vector<OutboxRecord> out;
  for (size_t i = 0; i + 1 < (*r)->elements; i += 2)
    out.push_back({to_u64((*r)->element[i + 1]), to_str((*r)->element[i])});
  return out;
}

Status RedisStore::delete_dead_letters(const std::string& sink, const std::vector<uint64_t>& positions) {
  std::string key = impl_->layout.dead(sink);
  auto conn = impl_->borrow();
  for (uint64_t p : positions) {
    std::string s = std::to_string(p);
    auto r = conn->run(key, {"ZREMRANGEBYSCORE", key, s, s});
    if (!r.ok()) return r.status();
  }
  return Status::ok();
}

Result<bool> RedisStore::claim_relay(const std::string& owner, std::chrono::milliseconds ttl) {
  // Take the claim when free, renew it when ours; one script so the check and the renewal are atomic.
  std::string ms = std::to_string(ttl.count());
  auto conn = impl_->borrow();
  auto r = conn->eval(kClaimScript, impl_->claim_sha, {impl_->layout.claim}, {owner, ms});
  if (!r.ok()) return r.status();
  return (*r)->integer == 1;
}

}  // namespace parley::store
