// The `responses:` section of a domain: variations with text, image, buttons, custom payloads,
// attachments, channels and slot conditions.
#include "project/readers.h"

namespace parley::project {

namespace {

bool read_buttons(const yaml::Doc& doc, const YAML::Node& node, const std::string& what,
                  std::vector<Button>& out, Diags& diags) {
  if (yaml::is_null(node)) return true;
  if (!yaml::is_seq(node)) {
    diags.error(yaml::loc(doc, node), "buttons of " + what + " must be a list, not " + yaml::describe(node));
    return false;
  }
  bool ok = true;
  for (const auto& item : node) {
    Button b;
    auto title = yaml::get(item, "title");
    auto t = title ? yaml::text(*title) : std::nullopt;
    if (!yaml::is_map(item) || !t) {
      diags.error(yaml::loc(doc, item), "a button of " + what + " must be a mapping with a 'title' (and a "
                                                                "'payload'), not " + yaml::describe(item));
      ok = false;
      continue;
    }
    b.title = *t;
    if (auto payload = yaml::get(item, "payload"); payload && !yaml::is_null(*payload)) {
      if (auto p = yaml::text(*payload)) {
        b.payload = *p;
      } else {
        diags.error(yaml::loc(doc, *payload),
                    "the payload of button '" + b.title + "' of " + what + " must be text, not " + yaml::describe(*payload));
        ok = false;
        continue;
      }
    }
    out.push_back(std::move(b));
  }
  return ok;
}

bool read_response_conditions(const yaml::Doc& doc, const YAML::Node& node, const std::string& what,
                              std::vector<ResponseCondition>& out, Diags& diags) {
  if (yaml::is_null(node)) return true;
  if (!yaml::is_seq(node)) {
    diags.error(yaml::loc(doc, node), "condition of " + what + " must be a list, not " + yaml::describe(node));
    return false;
  }
  bool ok = true;
  for (const auto& item : node) {
    SourceLoc at = yaml::loc(doc, item);
    if (!yaml::is_map(item)) {
      diags.error(at, "a condition of " + what + " must be a mapping {type: slot, name, value}, not " +
                          yaml::describe(item));
      ok = false;
      continue;
    }
    auto type = yaml::get(item, "type");
    auto type_name = type ? yaml::text(*type) : std::nullopt;
    if (!type_name || *type_name != "slot") {
      diags.error(at, "a condition of " + what + " has type " + (type ? yaml::describe(*type) : "nothing") +
                          "; only 'slot' conditions are supported");
      ok = false;
      continue;
    }
    auto name = yaml::get(item, "name");
    auto slot = name ? yaml::text(*name) : std::nullopt;
    if (!slot) {
      diags.error(at, "a condition of " + what + " has no slot 'name'");
      ok = false;
      continue;
    }
    ResponseCondition c;
    c.slot = *slot;
    if (auto value = yaml::get(item, "value")) {
      auto v = yaml::to_json(*value);
      if (!v) {
        diags.error(at, "the value of a condition of " + what + " is nested too deeply or too large");
        ok = false;
        continue;
      }
      c.value = std::move(*v);
    }
    for (const auto& e : yaml::entries(item))
      if (e.key != "type" && e.key != "name" && e.key != "value")
        diags.warning(yaml::loc(doc, e.key_node), "unknown key '" + yaml::excerpt(e.key) + "' in a condition of " + what);
    out.push_back(std::move(c));
  }
  return ok;
}

bool read_variation(const yaml::Doc& doc, const YAML::Node& item, const std::string& what, ResponseVariation& v,
                    Diags& diags) {
  v.loc = yaml::loc(doc, item);
  if (!yaml::is_map(item)) {
    diags.error(v.loc, "a variation of " + what + " must be a mapping (text, image, buttons, custom, ...), not " +
                           yaml::describe(item));
    return false;
  }
  bool ok = true, has_content = false;
  for (const auto& e : yaml::entries(item)) {
    SourceLoc at = yaml::loc(doc, e.key_node);
    auto json_of = [&](json::value& dest) {
      auto j = yaml::to_json(e.value);
      if (!j) {
        diags.error(at, e.key + " of " + what + " is nested too deeply or too large");
        ok = false;
        return;
      }
      dest = std::move(*j);
    };
    if (e.key == "text" || e.key == "image" || e.key == "channel") {
      std::string s;
      if (auto t = yaml::text(e.value)) {
        s = *t;
      } else if (!yaml::is_null(e.value)) {
        diags.error(at, e.key + " of " + what + " must be text, not " + yaml::describe(e.value));
        ok = false;
        continue;
      }
      if (e.key == "text") v.text = s;
      if (e.key == "image") v.image = s;
      if (e.key == "channel") v.channel = s;
      if (e.key != "channel") has_content = true;
    } else if (e.key == "buttons" || e.key == "quick_replies") {
      ok &= read_buttons(doc, e.value, what, v.buttons, diags);
      has_content = true;
    } else if (e.key == "custom") {
      json_of(v.custom);
      has_content = true;
    } else if (e.key == "attachment") {
      json_of(v.attachment);
      has_content = true;
    } else if (e.key == "condition") {
      ok &= read_response_conditions(doc, e.value, what, v.conditions, diags);
    } else if (e.key == "metadata" || e.key == "id") {
      // Rasa passes these to channels; Parley has no use for them.
    } else {
      diags.warning(at, "unknown key '" + yaml::excerpt(e.key) + "' in a variation of " + what);
    }
  }
  if (ok && !has_content) {
    diags.error(v.loc, "a variation of " + what + " has no text, image, buttons, custom or attachment");
    ok = false;
  }
  return ok;
}

}  // namespace

void read_responses(const yaml::Doc& doc, const YAML::Node& node, Domain& out, Diags& diags) {
  if (yaml::is_null(node)) return;
  if (!yaml::is_map(node)) {
    diags.error(yaml::loc(doc, node), "'responses' must be a mapping of response names, not " + yaml::describe(node));
    return;
  }
  for (const auto& entry : yaml::entries(node)) {
    const std::string what = "response '" + entry.key + "'";
    SourceLoc at = yaml::loc(doc, entry.key_node);
    if (!yaml::is_seq(entry.value)) {
      diags.error(at, what + " must be a list of variations, not " + yaml::describe(entry.value));
      continue;
    }
    std::vector<ResponseVariation> variations;
    bool ok = true;
    for (const auto& item : entry.value) {
      ResponseVariation v;
      if (read_variation(doc, item, what, v, diags)) {
        variations.push_back(std::move(v));
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    if (variations.empty()) {
      diags.error(at, what + " has no variations");
      continue;
    }
    if (out.has_response(entry.key)) {
      diags.warning(at, what + " is declared twice; the first declaration is kept");
      continue;
    }
    out.locs.emplace("response:" + entry.key, at);
    out.responses.emplace(entry.key, std::move(variations));
  }
}

}  // namespace parley::project
