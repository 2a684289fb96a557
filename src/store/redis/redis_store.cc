#include "store/redis/redis_store.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "store/redis/client.h"
#include "store/redis/layout.h"
#include "store/redis/scripts.h"

namespace parley::store {

namespace {

using namespace redis;  // the client and the scripts

// The position of a stream entry id "P-0" (position P - 1).
uint64_t position_of(const redisReply* id) { return to_u64(id) - 1; }

// The entries of an XRANGE reply (field "r" of each): seq = the entry id's number, "N-0" -> N.
std::vector<OutboxRecord> xrange_entries(const redisReply* reply) {
  std::vector<OutboxRecord> out;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* entry = reply->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
    const redisReply* fields = entry->element[1];
    if (fields->type != REDIS_REPLY_ARRAY || fields->elements < 2) continue;
    out.push_back({to_u64(entry->element[0]), to_str(fields->element[1])});
  }
  return out;
}

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
      auto entries = xrange_entries(r->get());
      if (entries.empty()) continue;
      const uint64_t last = entries.back().seq;
      std::string part = std::to_string(p), expected = std::to_string(merged[p]), upto = std::to_string(last);
      std::string n = std::to_string(entries.size());
      std::vector<std::string_view> args{part, expected, upto, n};
      for (const auto& e : entries) args.push_back(e.record);
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

Status RedisStore::release_lease(const ConversationKey& key, uint64_t token) {
  Keys k = impl_->layout.conversation(key);
  std::string t = std::to_string(token);
  auto conn = impl_->borrow();
  auto r = conn->eval(kReleaseScript, impl_->release_sha, {k.lease}, {t});
  return r.ok() ? Status::ok() : r.status();
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
  out = xrange_entries(r->get());
  for (auto& e : out) e.seq -= 1;  // entry id = position + 1
  return out;
}

Result<uint64_t> RedisStore::next_outbox_seq() const {
  auto conn = impl_->borrow();
  auto r = conn->run(impl_->layout.outbox_seq, {"GET", impl_->layout.outbox_seq});
  if (!r.ok()) return r.status();
  return to_u64(r->get());
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
