#pragma once
// One timeout for every phase (connect, read, write) of a cpp-httplib call to the control
// plane: the validator's device checks and the reporter's usage batches and heartbeats.

#include <httplib.h>

#include <chrono>

namespace httvps::gateway {

inline void set_timeouts(httplib::Client& client, std::chrono::milliseconds timeout) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(timeout - secs);
  client.set_connection_timeout(secs.count(), usecs.count());
  client.set_read_timeout(secs.count(), usecs.count());
  client.set_write_timeout(secs.count(), usecs.count());
}

}  // namespace httvps::gateway
