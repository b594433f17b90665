// AuthFileError: why an authentication file (the password file, the ACL
// file) was refused. cairn never half-loads such a file: one bad line
// rejects all of it, and the error names that line so the operator can fix
// it without guessing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn::auth {

struct AuthFileError {
  // 1-based line of the text; 0 when the problem is the file as a whole
  // (it cannot be opened or read).
  std::size_t line = 0;
  // What is wrong, without the file's name or line: "empty user name".
  std::string message;

  // The one-line form for a log or a terminal, with `file_kind` naming the
  // file ("password file", or "password file /etc/cairn/passwd"):
  // "password file line 3: empty user name".
  std::string describe(std::string_view file_kind) const {
    std::string text(file_kind);
    if (line != 0) text += " line " + std::to_string(line);
    text += ": ";
    text += message;
    return text;
  }

  bool operator==(const AuthFileError&) const = default;
};

}  // namespace cairn::auth
