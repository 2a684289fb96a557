// Domain responses: choosing a variation (slot conditions, channel) and filling {slot} templates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dialogue/message.h"
#include "dialogue/tracker.h"
#include "project/project.h"

namespace parley::dialogue {

// Renders response `name` for the tracker's current slots. Variations whose conditions all hold
// are preferred over unconditional ones; among equals, `seed` picks (deterministic per turn).
// `extra` values (from an action server's kwargs) fill templates before slots do.
// nullopt when the domain has no such response or no variation applies.
std::optional<BotMessage> render_response(const project::Domain& domain, std::string_view name,
                                          const Tracker& tracker, std::string_view channel,
                                          uint64_t seed, const json::object* extra = nullptr);

// Replaces {name} with values from `extra`, then slots; unknown names are left as they are,
// "{{" and "}}" become "{" and "}".
std::string fill_template(std::string_view text, const SlotMap& slots, const json::object* extra);

}  // namespace parley::dialogue
