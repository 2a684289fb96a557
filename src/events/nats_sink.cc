// The NATS JetStream sink (cnats): one connection per sink to `url` (a comma-separated list is
// a server pool), reconnecting forever in the background, so a server that is down (even at
// startup) only fails deliveries until it is back. Every event is published to the subject
// `topic` (one subject for every bot and conversation; consumers filter on the record's fields)
// with the header Nats-Msg-Id = event id, so the server drops re-sent events within the
// stream's duplicate window.
//
// The stream `stream` is looked up before the first delivery (and again after a "no responders"
// answer) and created when missing: subjects [topic], file storage, duplicate window 2 minutes.
// An existing stream is used as it is.
//
// deliver() publishes the batch asynchronously on a JetStream context of its own (a pool, one per
// concurrent delivery) and waits for the acknowledgement of each event id: OK when the stream
// acknowledged all of them (a duplicate counts: the server has the event), kUnavailable at the
// first error answer, kTimeout when the timeout passes first (a server that is down, a stream that
// is not there). Acknowledgements that come after their call returned are ignored.
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/log.h"
#include "events/sink.h"

namespace parley::events {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int64_t kDuplicateWindowNs = 120LL * 1000 * 1000 * 1000;

std::string nats_error(natsStatus s) {
  std::string text = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && text != last) text += std::string(": ") + last;
  return text;
}

// One delivery context: a JetStream context whose acknowledgements land here. Used by one
// deliver() at a time; `waiting` holds the ids of the current call not yet acknowledged.
struct Slot {
  uint64_t key = 0;
  jsCtx* js = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_set<std::string> waiting;
  bool failed = false;
  bool no_responders = false;
  std::string error;
};

// Acknowledgement callbacks run on cnats' threads and may come after a slot is gone; they find
// their slot through this registry (the closure is the slot's key, never a pointer).
std::mutex g_registry_mu;
std::unordered_map<uint64_t, std::weak_ptr<Slot>> g_registry;
uint64_t g_next_key = 1;

std::shared_ptr<Slot> find_slot(void* closure) {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  auto it = g_registry.find(reinterpret_cast<uintptr_t>(closure));
  return it == g_registry.end() ? nullptr : it->second.lock();
}

void on_ack(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* pae, void* closure) {
  std::shared_ptr<Slot> slot = find_slot(closure);
  const char* id = nullptr;
  if (slot && natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
    std::lock_guard<std::mutex> lock(slot->mu);
    auto it = slot->waiting.find(id);
    if (it != slot->waiting.end()) {
      if (pae == nullptr) {
        slot->waiting.erase(it);
        if (slot->waiting.empty()) slot->cv.notify_all();
      } else {
        if (!slot->failed) {
          slot->error = pae->ErrText != nullptr ? pae->ErrText : natsStatus_GetText(pae->Err);
          if (pae->ErrCode != 0) slot->error += " (JetStream error " + std::to_string(pae->ErrCode) + ")";
        }
        slot->failed = true;
        if (pae->Err == NATS_NO_RESPONDERS) slot->no_responders = true;
        slot->cv.notify_all();
      }
    }
  }
  natsMsg_Destroy(msg);  // the handler owns the published message
}

void on_connected(natsConnection*, void*) {}
void on_disconnected(natsConnection* nc, void* closure) {
  if (natsConnection_IsClosed(nc)) return;  // the sink is closing
  log(spdlog::level::warn, "disconnected from NATS, reconnecting", {{"sink", static_cast<const char*>(closure)}});
}
void on_reconnected(natsConnection*, void* closure) {
  log(spdlog::level::info, "reconnected to NATS", {{"sink", static_cast<const char*>(closure)}});
}

std::vector<std::string> split_urls(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string part = s.substr(start, comma - start);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) out.push_back(part);
    start = comma + 1;
  }
  return out;
}

class NatsSink final : public Sink {
 public:
  explicit NatsSink(SinkConfig c) : config_(std::move(c)) {}

  ~NatsSink() override {
    {
      std::lock_guard<std::mutex> lock(g_registry_mu);
      for (auto& s : slots_) g_registry.erase(s->key);
    }
    for (auto& s : slots_) {
      natsMsgList pending;
      if (js_PublishAsyncGetPendingList(&pending, s->js) == NATS_OK) natsMsgList_Destroy(&pending);
      jsCtx_Destroy(s->js);
    }
    if (admin_ != nullptr) jsCtx_Destroy(admin_);
    if (nc_ != nullptr) {
      natsConnection_Close(nc_);
      natsConnection_Destroy(nc_);
    }
    if (opts_ != nullptr) natsOptions_Destroy(opts_);
  }

  Status connect() {
    std::vector<std::string> urls = split_urls(config_.url.empty() ? NATS_DEFAULT_URL : config_.url);
    if (urls.empty()) return Status::invalid("nats sink '" + config_.name + "' needs url");
    std::vector<const char*> servers;
    for (const auto& u : urls) servers.push_back(u.c_str());
    natsStatus s = natsOptions_Create(&opts_);
    if (s == NATS_OK) s = natsOptions_SetServers(opts_, servers.data(), static_cast<int>(servers.size()));
    if (s == NATS_OK) s = natsOptions_SetName(opts_, ("parley-" + config_.name).c_str());
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts_, 2000);  // per connect attempt
    if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts_, true);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts_, -1);  // forever
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts_, 250);
    if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts_, 100, 1000);
    if (s == NATS_OK) s = natsOptions_SetPingInterval(opts_, 5000);
    if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts_, 2);
    if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts_, true, on_connected, nullptr);
    if (s == NATS_OK)
      s = natsOptions_SetDisconnectedCB(opts_, on_disconnected, const_cast<char*>(config_.name.c_str()));
    if (s == NATS_OK)
      s = natsOptions_SetReconnectedCB(opts_, on_reconnected, const_cast<char*>(config_.name.c_str()));
    if (s != NATS_OK) return Status::invalid("nats sink '" + config_.name + "': options: " + nats_error(s));
    s = natsConnection_Connect(&nc_, opts_);
    if (s == NATS_NOT_YET_CONNECTED) {
      log(spdlog::level::warn, "NATS not reachable yet; connecting in the background",
          {{"sink", config_.name}, {"url", config_.url}});
      s = NATS_OK;
    }
    if (s != NATS_OK) return Status::invalid("nats sink '" + config_.name + "': connect: " + nats_error(s));
    s = natsConnection_JetStream(&admin_, nc_, nullptr);
    if (s != NATS_OK) return Status::invalid("nats sink '" + config_.name + "': JetStream: " + nats_error(s));
    return Status::ok();
  }

  Status deliver(const Batch& batch, milliseconds timeout) override {
    if (batch.empty()) return Status::ok();
    const auto deadline = Clock::now() + timeout;
    if (!stream_ready_.load())
      if (Status s = ensure_stream(deadline); !s) return s;
    auto got = take();
    if (!got.ok()) return got.status();
    std::shared_ptr<Slot> slot = std::move(got).value();
    Status result = publish(*slot, batch, deadline, timeout);
    if (!result.is_ok()) {
      // Forget this call's unanswered publishes: late answers find no pending entry.
      natsMsgList pending;
      if (js_PublishAsyncGetPendingList(&pending, slot->js) == NATS_OK) natsMsgList_Destroy(&pending);
    }
    give_back(std::move(slot));
    return result;
  }

 private:
  Status fail(Code code, const std::string& what) const {
    return Status(code, "sink '" + config_.name + "': " + what);
  }

  static int64_t remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    return std::max<int64_t>(left, 1);
  }

  Status publish(Slot& slot, const Batch& batch, Clock::time_point deadline, milliseconds timeout) {
    {
      std::lock_guard<std::mutex> lock(slot.mu);
      slot.waiting.clear();
      slot.failed = false;
      slot.no_responders = false;
      slot.error.clear();
      for (const OutEvent* e : batch) slot.waiting.insert(e->id);
    }
    for (const OutEvent* e : batch) {
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MsgId = e->id.c_str();
      po.MaxWait = remaining_ms(deadline);
      natsStatus s = js_PublishAsync(slot.js, config_.topic.c_str(), e->record.data(),
                                     static_cast<int>(e->record.size()), &po);
      if (s != NATS_OK)
        return fail(s == NATS_TIMEOUT ? Code::kTimeout : Code::kUnavailable, "publishing: " + nats_error(s));
    }
    std::unique_lock<std::mutex> lock(slot.mu);
    slot.cv.wait_until(lock, deadline, [&] { return slot.waiting.empty() || slot.failed; });
    if (slot.failed) {
      if (slot.no_responders) stream_ready_ = false;  // look the stream up again next time
      return fail(Code::kUnavailable, "JetStream refused an event: " + slot.error);
    }
    if (!slot.waiting.empty()) {
      bool connected = natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
      return fail(Code::kTimeout, std::to_string(slot.waiting.size()) + " of " + std::to_string(batch.size()) +
                                      " events not acknowledged within " + std::to_string(timeout.count()) +
                                      " ms" + (connected ? "" : " (not connected)"));
    }
    return Status::ok();
  }

  Status ensure_stream(Clock::time_point deadline) {
    std::lock_guard<std::mutex> lock(stream_mu_);
    if (stream_ready_.load()) return Status::ok();
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = remaining_ms(deadline);
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, admin_, config_.stream.c_str(), &o, &jerr);
    if (s == NATS_OK) {
      jsStreamInfo_Destroy(si);
      stream_ready_ = true;
      return Status::ok();
    }
    if (s != NATS_NOT_FOUND) {
      return fail(s == NATS_TIMEOUT ? Code::kTimeout : Code::kUnavailable,
                  "looking up stream '" + config_.stream + "': " + nats_error(s));
    }
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char* subjects[] = {config_.topic.c_str()};
    cfg.Name = config_.stream.c_str();
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Duplicates = kDuplicateWindowNs;
    o.Wait = remaining_ms(deadline);
    jerr = static_cast<jsErrCode>(0);
    s = js_AddStream(&si, admin_, &cfg, &o, &jerr);
    if (s == NATS_OK || jerr == JSStreamNameExistErr) {  // created, or by someone else meanwhile
      if (si != nullptr) jsStreamInfo_Destroy(si);
      log(spdlog::level::info, s == NATS_OK ? "JetStream stream created" : "JetStream stream exists",
          {{"sink", config_.name}, {"stream", config_.stream}, {"subjects", config_.topic}});
      stream_ready_ = true;
      return Status::ok();
    }
    return fail(s == NATS_TIMEOUT ? Code::kTimeout : Code::kUnavailable,
                "creating stream '" + config_.stream + "': " + nats_error(s));
  }

  Result<std::shared_ptr<Slot>> take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        auto s = std::move(idle_.back());
        idle_.pop_back();
        return s;
      }
    }
    auto slot = std::make_shared<Slot>();
    {
      std::lock_guard<std::mutex> lock(g_registry_mu);
      slot->key = g_next_key++;
      g_registry[slot->key] = slot;
    }
    jsOptions o;
    jsOptions_Init(&o);
    o.PublishAsync.AckHandler = on_ack;
    o.PublishAsync.AckHandlerClosure = reinterpret_cast<void*>(static_cast<uintptr_t>(slot->key));
    natsStatus s = natsConnection_JetStream(&slot->js, nc_, &o);
    if (s != NATS_OK) {
      std::lock_guard<std::mutex> lock(g_registry_mu);
      g_registry.erase(slot->key);
      return fail(Code::kUnavailable, "JetStream context: " + nats_error(s));
    }
    std::lock_guard<std::mutex> lock(mu_);
    slots_.push_back(slot);
    return slot;
  }

  void give_back(std::shared_ptr<Slot> slot) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(slot));
  }

  const SinkConfig config_;
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* admin_ = nullptr;  // stream lookups and creation
  std::mutex stream_mu_;
  std::atomic<bool> stream_ready_{false};
  std::mutex mu_;
  std::vector<std::shared_ptr<Slot>> slots_;  // every slot made (destroyed with the sink)
  std::vector<std::shared_ptr<Slot>> idle_;
};

}  // namespace

Result<std::unique_ptr<Sink>> make_nats_sink(const SinkConfig& config) {
  if (config.topic.empty()) return Status::invalid("nats sink '" + config.name + "' needs a topic (subject)");
  if (config.stream.empty()) return Status::invalid("nats sink '" + config.name + "' needs a stream");
  auto sink = std::make_unique<NatsSink>(config);
  if (Status s = sink->connect(); !s) return s;
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace parley::events
