// DucklingEntityExtractor: the request Rasa sends, the conversion of Duckling's answer, and the
// extractor with its circuit breaker. The built-in dimensions are in duckling_builtin.cc.
#include "nlu/duckling.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "core/budget.h"
#include "core/clock.h"
#include "core/log.h"
#include "nlu/duckling_client.h"

namespace parley::nlu {

namespace {

constexpr const char* kExtractor = "DucklingEntityExtractor";
// Below this much time for a call (what the timeout or the turn's budget leaves), none is made.
constexpr auto kMinCallTime = std::chrono::milliseconds(5);

// As Python's urllib.parse.quote_plus, which requests uses for form data.
void append_form_escaped(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
        c == '-' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out.push_back('&');
  append_form_escaped(out, key);
  out.push_back('=');
  append_form_escaped(out, value);
}

bool dim_wanted(const DucklingOptions& options, std::string_view dim) {
  // As Rasa's filter_irrelevant_entities: an empty list keeps everything.
  return options.dimensions.empty() ||
         std::find(options.dimensions.begin(), options.dimensions.end(), dim) != options.dimensions.end();
}

const json::value* field_of(const json::value& v, std::string_view key) {
  return v.is_object() ? json_get(v.as_object(), key) : nullptr;
}

// The value Rasa keeps: value.value, or {"to", "from"} (each null when absent) of an interval.
json::value rasa_value(const json::value& value) {
  const json::value* type = field_of(value, "type");
  if (type && type->is_string() && type->get_string() == "interval") {
    auto bound = [&](std::string_view key) {
      const json::value* side = field_of(value, key);
      const json::value* v = side ? field_of(*side, "value") : nullptr;
      return v ? *v : json::value(nullptr);
    };
    return json::object{{"to", bound("to")}, {"from", bound("from")}};
  }
  const json::value* v = field_of(value, "value");
  return v ? *v : json::value(nullptr);
}

std::optional<size_t> match_offset(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<size_t>(v->get_int64());
  if (v->is_uint64()) return static_cast<size_t>(v->get_uint64());
  return std::nullopt;
}

}  // namespace

DucklingOptions duckling_options(const project::DucklingConfig& config) {
  DucklingOptions o;
  o.url = config.url;
  o.dimensions = config.dimensions;
  o.dimensions_set = config.dimensions_set;
  o.locale = config.locale;
  o.timezone = config.timezone;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(config.timeout_seconds * 1000));
  return o;
}

std::string duckling_request_body(std::string_view text, const DucklingOptions& options, int64_t reftime_ms) {
  std::string out;
  append_field(out, "text", text);
  // requests leaves out the fields whose value is None.
  if (!options.locale.empty()) append_field(out, "locale", options.locale);
  if (!options.timezone.empty()) append_field(out, "tz", options.timezone);
  std::string dims = "null";
  if (options.dimensions_set) {
    dims = "[";
    for (size_t i = 0; i < options.dimensions.size(); ++i)
      dims += (i ? ", " : "") + json::serialize(json::value(options.dimensions[i]));
    dims += "]";
  }
  append_field(out, "dims", dims);
  append_field(out, "reftime", std::to_string(reftime_ms));
  return out;
}

Result<std::vector<Entity>> duckling_entities(const json::value& answer, const DucklingOptions& options) {
  if (!answer.is_array()) return Status::invalid("Duckling's answer is not a list of matches");
  std::vector<Entity> out;
  for (const auto& match : answer.as_array()) {
    const json::value* dim = field_of(match, "dim");
    const json::value* value = field_of(match, "value");
    auto start = match_offset(field_of(match, "start"));
    auto end = match_offset(field_of(match, "end"));
    if (!dim || !dim->is_string() || !value || !value->is_object() || !start || !end)
      return Status::invalid("a match in Duckling's answer lacks dim, start, end or value: " +
                             json::serialize(match).substr(0, 200));
    if (!dim_wanted(options, dim->get_string())) continue;
    Entity e;
    e.entity = std::string(dim->get_string());
    // Duckling's offsets are characters, as Rasa passes them on.
    e.start = *start;
    e.end = *end;
    const json::value* text = field_of(match, "body");
    if (!text) text = field_of(match, "text");
    if (text && text->is_string()) e.text = std::string(text->get_string());
    e.structured_value = rasa_value(*value);
    e.value = e.structured_value.is_string() ? std::string(e.structured_value.get_string())
                                             : json::serialize(e.structured_value);
    e.additional_info = *value;
    e.confidence = 1.0;
    e.extractor = kExtractor;
    out.push_back(std::move(e));
  }
  return out;
}

// ---- the extractor ------------------------------------------------------------------------------

// The HTTP client behind a circuit breaker: closed (calls go out), open (none until reopen_at),
// probing (one call is out; the others skip it).
class DucklingExtractor::Client {
 public:
  using Clock = std::chrono::steady_clock;
  Client(HttpUrl url, const DucklingOptions& options)
      : http_(std::move(url), options.max_response_bytes), options_(options) {}

  std::vector<Entity> extract(std::string_view text) {
    const auto now = Clock::now();
    // Leave the turn half of what is left of its budget for the rest of its work.
    auto deadline = now + options_.timeout;
    const auto budget_end = budget_deadline();
    if (budget_end != Clock::time_point::max()) deadline = std::min(deadline, now + (budget_end - now) / 2);
    if (deadline - now < kMinCallTime || !allow(now)) {
      skipped_.fetch_add(1, std::memory_order_relaxed);
      return {};
    }
    calls_.fetch_add(1, std::memory_order_relaxed);
    auto answer = http_.post_form(duckling_request_body(text, options_, unix_time() * 1000), deadline);
    // A Result is never made from an OK Status: the failed call's status, or the parsed answer.
    Result<std::vector<Entity>> entities = [&]() -> Result<std::vector<Entity>> {
      if (!answer.ok()) return answer.status();
      boost::system::error_code ec;
      json::value v = json::parse(*answer, ec);
      if (ec) return Status::io_error("Duckling answered with bad JSON: " + ec.message());
      return duckling_entities(v, options_);
    }();
    record(entities.ok() ? Status::ok() : entities.status(), deadline - now);
    if (!entities.ok()) return {};
    return std::move(entities).value();
  }

  DucklingStats stats() const {
    return {calls_.load(), failures_.load(), skipped_.load()};
  }

 private:
  enum class State { kClosed, kOpen, kProbing };

  bool allow(Clock::time_point now) {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == State::kClosed) return true;
    if (state_ == State::kProbing || now < reopen_at_) return false;
    state_ = State::kProbing;
    return true;
  }

  void record(const Status& s, Clock::duration waited_at_most) {
    std::lock_guard<std::mutex> lock(mu_);
    if (s.is_ok()) {
      if (state_ != State::kClosed) log(spdlog::level::info, "Duckling answers again", {{"url", options_.url}});
      state_ = State::kClosed;
      return;
    }
    failures_.fetch_add(1, std::memory_order_relaxed);
    const bool was_open = state_ != State::kClosed;
    state_ = State::kOpen;
    reopen_at_ = Clock::now() + options_.breaker_open;
    // One line per failed call, never one per skipped message.
    log(spdlog::level::warn, was_open ? "Duckling still fails; its entities stay skipped" : "Duckling call failed; its entities are skipped",
        {{"url", options_.url},
         {"error", s.message()},
         {"waited_at_most_ms", std::chrono::duration_cast<std::chrono::milliseconds>(waited_at_most).count()},
         {"skipped_for_ms", options_.breaker_open.count()}});
  }

  DucklingHttpClient http_;
  DucklingOptions options_;
  std::mutex mu_;
  State state_ = State::kClosed;
  Clock::time_point reopen_at_{};
  std::atomic<uint64_t> calls_{0}, failures_{0}, skipped_{0};
};

DucklingExtractor::DucklingExtractor(DucklingOptions options) : options_(std::move(options)) {
  if (options_.url.empty()) return;
  std::string url = options_.url;
  while (!url.empty() && url.back() == '/') url.pop_back();  // as Rasa's concat_url
  auto parsed = parse_http_url(url + "/parse", "DucklingEntityExtractor url");
  // The config reader refused a bad url and turned an https one into built-in extraction.
  if (!parsed.ok() || parsed->tls) {
    options_.url.clear();
    return;
  }
  client_ = std::make_unique<Client>(std::move(parsed).value(), options_);
}

DucklingExtractor::~DucklingExtractor() = default;

std::vector<Entity> DucklingExtractor::extract(std::string_view text) const {
  if (client_) return client_->extract(text);
  return builtin_duckling_entities(text, options_);
}

bool DucklingExtractor::extracts(std::string_view dim) const {
  if (!client_ && !project::duckling_builtin_dimension(dim)) return false;
  return dim_wanted(options_, dim);
}

DucklingStats DucklingExtractor::stats() const { return client_ ? client_->stats() : DucklingStats{}; }

}  // namespace parley::nlu
