// The Backend the server runs on: the turn pipeline, runtime::Engine.
#pragma once

#include <memory>

#include "channels/backend.h"
#include "runtime/engine.h"

namespace parley::channels {

std::shared_ptr<Backend> make_engine_backend(std::shared_ptr<runtime::Engine> engine);

}  // namespace parley::channels
