// Process limits the server needs: enough file descriptors for its connections.
#pragma once

#include <cstdint>

namespace parley::ops {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.
uint64_t raise_open_files_limit();

}  // namespace parley::ops
