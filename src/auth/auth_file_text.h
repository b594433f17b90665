// The whole text of an authentication file (password or ACL file), read
// before it is parsed: parsing is pure, reading is the one I/O step.
#pragma once

#include <string>
#include <variant>

#include "auth/auth_file_error.h"

namespace cairn::auth {

// The file's bytes, or an error (line 0) naming the path and the reason.
std::variant<std::string, AuthFileError> read_auth_file(const std::string& path);

}  // namespace cairn::auth
