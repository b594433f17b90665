// run_passwd_command: `cairn passwd [-D] FILE USER` (see passwd_command.h).
#include "app/passwd_command.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/password_file.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

namespace cairn::app {
namespace {

constexpr int kUnchanged = 1;
constexpr int kBadUserName = 2;
// MQTT carries user names and passwords with a 16-bit length.
constexpr std::size_t kMaxFieldSize = 65'535;

// Why `user` cannot go into a password file, or nullopt when it can. Beyond
// what mosquitto_passwd refuses (':', control characters, over 65,535
// bytes): a leading '#' would make the line a comment, and blanks at either
// end would be trimmed away when the file is read.
std::optional<std::string> user_name_problem(std::string_view user) {
  if (user.empty()) return "the user name is empty";
  if (user.size() > kMaxFieldSize) return "the user name is longer than 65535 bytes";
  if (user.find(':') != std::string_view::npos) return "the user name contains ':'";
  for (const char c : user) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return "the user name contains a control character";
  }
  if (user.front() == '#') return "the user name starts with '#' (a comment in the file)";
  if (user.front() == ' ' || user.back() == ' ') {
    return "the user name starts or ends with a space";
  }
  return std::nullopt;
}

// The terminal's settings while echo is off, put back by the signal handler
// if the user presses Ctrl-C at the prompt.
termios g_saved_terminal{};

void restore_terminal_and_die(int signal_number) {
  tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_terminal);  // async-signal-safe
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// One line typed at the terminal without echo.
std::optional<std::string> read_hidden_line(const char* prompt) {
  std::cerr << prompt << std::flush;
  if (tcgetattr(STDIN_FILENO, &g_saved_terminal) != 0) return std::nullopt;
  termios quiet = g_saved_terminal;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  const auto old_int = std::signal(SIGINT, restore_terminal_and_die);
  const auto old_term = std::signal(SIGTERM, restore_terminal_and_die);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  std::cerr << '\n';
  if (!got) return std::nullopt;
  return line;
}

// The new password, or why there is none.
struct PasswordInput {
  std::string password;
  std::string problem;  // empty when `password` may be used
};

// The new password: typed twice at a terminal, or the first line of stdin.
PasswordInput read_password() {
  PasswordInput input;
  std::string& password = input.password;
  if (isatty(STDIN_FILENO) == 1) {
    auto first = read_hidden_line("Password: ");
    auto second = first ? read_hidden_line("Reenter password: ") : std::nullopt;
    if (!first || !second) return {"", "no password typed"};
    if (*first != *second) return {"", "the passwords do not match"};
    password = std::move(*first);
  } else if (!std::getline(std::cin, password)) {
    return {"", "no password on standard input"};
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) return {"", "the password is empty"};
  // mosquitto hashes C strings; and HMAC would take "pw\0" for "pw".
  if (password.find('\0') != std::string::npos) return {"", "the password contains a NUL byte"};
  if (password.size() > kMaxFieldSize) return {"", "the password is longer than 65535 bytes"};
  return input;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

struct ExistingFile {
  std::string text;
  struct stat status {};
};

// The file's bytes and status; nullopt in `existing` when there is no file.
std::optional<std::string> read_existing(const std::string& path,
                                         std::optional<ExistingFile>& existing) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) {
    if (errno == ENOENT) return std::nullopt;
    return errno_text(path + ": cannot open");
  }
  ExistingFile read;
  if (fstat(fileno(file.get()), &read.status) != 0) return errno_text(path + ": cannot stat");
  std::array<char, 64 * 1024> buffer;
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
    read.text.append(buffer.data(), got);
  }
  if (std::ferror(file.get())) return errno_text(path + ": cannot read");
  existing = std::move(read);
  return std::nullopt;
}

// `text` with its `line_number`th line (1-based, counted as PasswordFile
// counts them) replaced by `replacement` plus a newline, or dropped when
// there is no replacement. Every other byte stays as it was.
std::string replace_line(std::string_view text, std::size_t line_number,
                         const std::optional<std::string>& replacement) {
  std::string out;
  out.reserve(text.size() + (replacement ? replacement->size() + 1 : 0));
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line =
        text.substr(0, newline == std::string_view::npos ? text.size() : newline + 1);
    text.remove_prefix(line.size());
    if (++number != line_number) {
      out += line;
    } else if (replacement) {
      out += *replacement;
      out += '\n';
    }
  }
  return out;
}

// Writes `text` to a new file beside `path`, syncs it and renames it over
// `path`; on failure `path` is untouched and the new file removed. The new file has the old one's
// mode and owner, or mode 0600 (mkstemp's).
std::optional<std::string> write_atomically(const std::string& path, std::string_view text,
                                            const std::optional<ExistingFile>& existing) {
  std::string temporary = path + ".cairn-passwd-XXXXXX";
  const int fd = mkstemp(temporary.data());
  if (fd < 0) return errno_text(temporary + ": cannot create");
  auto fail = [&](const std::string& what) {
    std::string message = errno_text(what);
    close(fd);
    unlink(temporary.c_str());
    return message;
  };
  if (existing) {
    if (fchmod(fd, existing->status.st_mode & 07777) != 0) return fail(temporary + ": chmod");
    // Only root may give a file away; anyone else keeps their own ownership,
    // as the file they could write was theirs or their group's anyway.
    if (fchown(fd, existing->status.st_uid, existing->status.st_gid) != 0 && errno != EPERM) {
      return fail(temporary + ": chown");
    }
  }
  while (!text.empty()) {
    const ssize_t written = write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail(temporary + ": cannot write");
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  if (fsync(fd) != 0) return fail(temporary + ": cannot sync");
  if (close(fd) != 0) {
    std::string message = errno_text(temporary + ": cannot close");
    unlink(temporary.c_str());
    return message;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string message = errno_text(path + ": cannot replace");
    unlink(temporary.c_str());
    return message;
  }
  return std::nullopt;
}

// After the rename: without a synced directory a crash may still bring back
// the old file. The new one is in place, so this is a warning, not a failure.
void sync_directory_of(const std::string& path) {
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  const int directory_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd < 0 || fsync(directory_fd) != 0) {
    std::cerr << "cairn passwd: warning: " << errno_text(directory + ": cannot sync") << '\n';
  }
  if (directory_fd >= 0) close(directory_fd);
}

// The path to write: a symbolic link's target, so that the link stays.
std::string resolve(const std::string& path) {
  const std::unique_ptr<char, void (*)(void*)> real(realpath(path.c_str(), nullptr), &std::free);
  return real ? std::string(real.get()) : path;
}

}  // namespace

int run_passwd_command(const PasswdRequest& request) {
  const std::string prefix = "cairn passwd: ";
  if (auto problem = user_name_problem(request.user)) {
    std::cerr << prefix << *problem << '\n';
    return kBadUserName;
  }
  const std::string path = resolve(request.file);
  std::optional<ExistingFile> existing;
  if (auto problem = read_existing(path, existing)) {
    std::cerr << prefix << *problem << '\n';
    return kUnchanged;
  }
  if (!existing && request.remove) {
    std::cerr << prefix << path << ": no such file\n";
    return kUnchanged;
  }
  const std::string text = existing ? existing->text : std::string();
  auto parsed = auth::PasswordFile::parse(text);
  if (const auto* error = std::get_if<auth::AuthFileError>(&parsed)) {
    std::cerr << prefix << error->describe("password file " + path) << "; not changed\n";
    return kUnchanged;
  }
  const auto& file = std::get<auth::PasswordFile>(parsed);
  const std::optional<std::size_t> line = file.line_of(request.user);

  std::string updated;
  std::optional<std::string> password;
  std::string done;
  if (request.remove) {
    if (!line) {
      std::cerr << prefix << "user '" << request.user << "' is not in " << path << '\n';
      return kUnchanged;
    }
    updated = replace_line(text, *line, std::nullopt);
    done = "deleted user '" + request.user + "' from ";
  } else {
    PasswordInput input = read_password();
    if (!input.problem.empty()) {
      std::cerr << prefix << input.problem << "; " << path << " not changed\n";
      return kUnchanged;
    }
    password = std::move(input.password);
    const std::string entry = auth::make_password_line(request.user, *password);
    if (line) {
      updated = replace_line(text, *line, entry);
      done = "changed the password of user '" + request.user + "' in ";
    } else {
      updated = text;
      if (!updated.empty() && updated.back() != '\n') updated += '\n';
      updated += entry + '\n';
      done = "added user '" + request.user + "' to ";
    }
  }

  // What is written must load, with the change made: checked before the
  // rename rather than discovered by the broker.
  auto reparsed = auth::PasswordFile::parse(updated);
  const auto* result = std::get_if<auth::PasswordFile>(&reparsed);
  const bool as_intended =
      result != nullptr &&
      (request.remove ? !result->contains(request.user) : result->verify(request.user, *password));
  if (!as_intended) {
    std::cerr << prefix << "internal error: the rewritten file would not hold the change; " << path
              << " not changed\n";
    return kUnchanged;
  }
  if (auto problem = write_atomically(path, updated, existing)) {
    std::cerr << prefix << *problem << "; " << path << " not changed\n";
    return kUnchanged;
  }
  sync_directory_of(path);
  std::cout << prefix << done << path << '\n';
  return 0;
}

}  // namespace cairn::app
