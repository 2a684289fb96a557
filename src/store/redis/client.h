// A small Redis client on hiredis for the Redis store: one node (NodeClient) or a Redis Cluster
// (ClusterClient: slot map from CLUSTER SLOTS, MOVED / ASK / TRYAGAIN / CLUSTERDOWN followed),
// with redis:// and redis+cluster:// URLs. Clients are not thread-safe: the store pools them.
#pragma once

#include <hiredis/hiredis.h>

#include <array>
#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"

namespace parley::store::redis {

using Reply = std::unique_ptr<redisReply, void (*)(void*)>;

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

inline Result<Target> parse_url(const std::string& url) {
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

constexpr uint16_t kSlots = 16384;

// CRC16-XMODEM, as Redis Cluster hashes keys.
inline uint16_t crc16(std::string_view s) {
  uint16_t crc = 0;
  for (unsigned char c : s) {
    crc ^= static_cast<uint16_t>(c) << 8;
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

// The cluster slot of a key: of its hash tag ({...}) when it has a non-empty one.
inline uint16_t key_slot(std::string_view key) {
  if (auto open = key.find('{'); open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return crc16(key) % kSlots;
}

inline uint64_t to_u64(const redisReply* r) {
  if (!r) return 0;
  if (r->type == REDIS_REPLY_INTEGER) return static_cast<uint64_t>(r->integer);
  if (r->type == REDIS_REPLY_STRING) {
    uint64_t v = 0;
    std::from_chars(r->str, r->str + r->len, v);
    return v;
  }
  return 0;
}

inline std::string to_str(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? std::string(r->str, r->len)
                                                                              : std::string();
}

// The store being out of reach, as clients are told: Redis's own words (hosts, limits) only
// in the detail, for the server log.
inline Status unreachable(std::string detail) {
  return Status::unavailable("the store (Redis) is unavailable; retry later").with_detail(std::move(detail));
}

// A Redis error reply as a Status: unavailable for the ones that pass (a restarting or failing
// over server, a full memory: OOM, MISCONF when it cannot persist), kNotFound for NOSCRIPT.
inline Status error_status(std::string_view msg) {
  if (msg.rfind("NOSCRIPT", 0) == 0) return Status(Code::kNotFound, std::string(msg));
  std::string detail = "redis: " + std::string(msg);
  if (msg.rfind("OOM", 0) == 0)
    return Status::unavailable("the store (Redis) is out of memory; retry later").with_detail(std::move(detail));
  for (std::string_view passing :
       {"LOADING", "MASTERDOWN", "MISCONF", "CLUSTERDOWN", "TRYAGAIN", "MOVED", "ASK", "READONLY", "BUSY"})
    if (msg.rfind(passing, 0) == 0) return unreachable(std::move(detail));
  return Status::io_error("redis answered with an error").with_detail(std::move(detail));
}

inline bool is_error(const Reply& r) { return r->type == REDIS_REPLY_ERROR; }
inline std::string_view error_text(const Reply& r) { return {r->str, r->len}; }

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
    return unreachable("redis " + url_.host + ":" + std::to_string(url_.port) + ": " + why);
  }

  Status connect() {
    timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    ctx_ = redisConnectWithTimeout(url_.host.c_str(), url_.port, tv);
    if (!ctx_ || ctx_->err) {
      std::string why = ctx_ ? ctx_->errstr : "out of memory";
      if (ctx_) redisFree(ctx_);
      ctx_ = nullptr;
      return unreachable("cannot connect to redis " + url_.host + ":" + std::to_string(url_.port) + ": " + why);
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
    Status last = unreachable("redis cluster: no node to ask");
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
        last = unreachable("redis cluster: " + node.host + ":" + std::to_string(node.port) + " serves no slot");
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
inline std::optional<Url> redirect_target(std::string_view msg, const Url& like) {
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
    Status last = unreachable("redis cluster: slot " + std::to_string(slot) + " has no master");
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

}  // namespace parley::store::redis
