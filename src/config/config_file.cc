// parse_config and load_config_file: the TOML file read into a Config.
//
// The only includer of toml++. The file has seven tables ([listener],
// [storage], [metrics], [log], [broker], [limits], [auth]); a TableReader reads the
// keys of one and remembers which it asked for, so that whatever it did not
// ask for is reported as unknown. A typo such as "max_pakcet_size" must stop
// start-up: silently keeping the default is how an operator ends up with a
// limit they believe they changed.
//
// Every problem is collected, not only the first, and reported in the order
// of the text, each with its line, so one run shows everything to fix.
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <toml++/toml.h>

#include "config/config.h"
#include "config/log_level.h"
#include "config/toml_input.h"
#include "config/value_checks.h"

namespace cairn::config {
namespace {

using detail::quote;

constexpr std::int64_t kU16Max = std::numeric_limits<std::uint16_t>::max();
constexpr std::int64_t kU32Max = std::numeric_limits<std::uint32_t>::max();

// "SOURCE:LINE: " (the line is 0 when toml++ has no position for a node,
// which it always has for parsed text; the fallback keeps the message sane).
std::string where(std::string_view source, const toml::source_position& position) {
  std::string out(source);
  if (position.line != 0) out += ':' + std::to_string(position.line);
  out += ": ";
  return out;
}

// One thing wrong with the file, kept with its position so that problems print
// in the order of the text rather than the order tables are read in.
struct Problem {
  toml::source_position position;
  std::string text;
};

class Problems {
 public:
  void add(const toml::source_region& region, std::string text) {
    problems_.push_back(Problem{region.begin, std::move(text)});
  }
  bool empty() const { return problems_.empty(); }

  ConfigError to_error(std::string_view source) && {
    std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
      return std::pair(a.position.line, a.position.column) <
             std::pair(b.position.line, b.position.column);
    });
    std::string message;
    for (const Problem& problem : problems_) {
      if (!message.empty()) message += '\n';
      message += where(source, problem.position) + problem.text;
    }
    return ConfigError{std::move(message)};
  }

 private:
  std::vector<Problem> problems_;
};

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Levenshtein distance, for "did you mean" hints. Keys further apart in length
// than any hint we would give are not compared at all, which also keeps a
// fuzzer's megabyte-long key from costing a quadratic loop.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  constexpr std::size_t kFar = 3;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) >= kFar) return kFar;
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A known key ("table.key", or a table name when `table` is empty) as a hint
// for an unknown one, or "". The same key in another table (a limit put under
// [broker]) counts as one edit.
struct KnownKey {
  std::string_view table;
  std::string_view key;
};

std::string suggestion(std::string_view table, std::string_view key,
                       const std::vector<KnownKey>& known) {
  constexpr std::size_t kMaxDistance = 2;
  std::size_t best = kMaxDistance + 1;
  const KnownKey* hint = nullptr;
  for (const KnownKey& candidate : known) {
    const std::size_t distance =
        edit_distance(key, candidate.key) + (candidate.table == table ? 0 : 1);
    if (distance < best) {
      best = distance;
      hint = &candidate;
    }
  }
  if (hint == nullptr) return "";
  const std::string name = hint->table.empty()
                               ? std::string(hint->key)
                               : std::string(hint->table) + "." + std::string(hint->key);
  return "; did you mean " + quote(name) + "?";
}

// Reads the keys of one table into a Config and remembers which keys it asked
// for. A table missing from the file reads as empty: every key keeps its
// default.
class TableReader {
 public:
  // `name` prefixes messages ("limits", "listener[2]"); `known_as` is the
  // table its keys are suggested under ("listener" for every listener).
  TableReader(const toml::table* table, std::string name, const detail::TomlInput& input,
              Problems& problems, std::string_view known_as = {})
      : table_(table),
        name_(std::move(name)),
        known_as_(known_as.empty() ? std::string_view(name_) : known_as),
        input_(input),
        problems_(problems) {}
  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  // Whether the file holds `key` in this table.
  bool has(std::string_view key) const { return table_ != nullptr && table_->get(key) != nullptr; }

  // A problem with `key` as a whole (a rule between keys): at the key's line
  // when the file holds it, else at the table's.
  void problem(std::string_view key, std::string what) {
    const toml::node* node = table_ == nullptr ? nullptr : table_->get(key);
    if (node != nullptr) return problem(key, *node, std::move(what));
    problems_.add(table_ == nullptr ? toml::source_region{} : table_->source(),
                  qualified(key) + ": " + what);
  }

  template <std::int64_t Min, std::int64_t Max, typename T>
  void integer(std::string_view key, T& out) {
    static_assert(Min <= Max && std::in_range<T>(Min) && std::in_range<T>(Max));
    const toml::node* node = take(key);
    if (node == nullptr) return;
    const toml::value<std::int64_t>* value = node->as_integer();
    if (value == nullptr) return wrong_type(key, *node, "an integer");
    const std::int64_t number = value->get();
    if (number < Min || number > Max) {
      return problem(key, *node,
                     "must be between " + std::to_string(Min) + " and " + std::to_string(Max) +
                         ", got " + std::to_string(number));
    }
    out = static_cast<T>(number);
  }

  void boolean(std::string_view key, bool& out) {
    std::optional<bool> value;
    boolean(key, value);
    if (value) out = *value;
  }
  // A boolean whose absence means something of its own.
  void boolean(std::string_view key, std::optional<bool>& out) {
    const toml::node* node = take(key);
    if (node == nullptr) return;
    const toml::value<bool>* value = node->as_boolean();
    if (value == nullptr) return wrong_type(key, *node, "a boolean (true or false)");
    out = value->get();
  }

  // A string that `check` accepts (see value_checks.h), handed to `store`.
  template <typename Store>
  void text(std::string_view key, std::optional<std::string> (*check)(std::string_view),
            Store store) {
    const toml::node* node = take(key);
    if (node == nullptr) return;
    const toml::value<std::string>* value = node->as_string();
    if (value == nullptr) return wrong_type(key, *node, "a string");
    const std::string text = input_.restore(value->get());
    if (auto why = check(text)) return problem(key, *node, std::move(*why));
    store(text);
  }

  // Every key this reader asked for, as hints for unknown keys anywhere.
  void add_known(std::vector<KnownKey>& known) const {
    for (std::string_view key : asked_) known.push_back(KnownKey{known_as_, key});
  }

  // Everything in the table that no read asked for.
  void report_unknown(const std::vector<KnownKey>& known) {
    if (table_ == nullptr) return;
    for (const auto& [key, node] : *table_) {
      if (std::find(asked_.begin(), asked_.end(), key.str()) != asked_.end()) continue;
      const std::string name = input_.restore(key.str());
      problems_.add(key.source(), std::string(node.is_table() ? "unknown table " : "unknown key ") +
                                      quote(qualified(name)) + suggestion(known_as_, name, known));
    }
  }

 private:
  const toml::node* take(std::string_view key) {
    asked_.push_back(key);
    return table_ == nullptr ? nullptr : table_->get(key);
  }

  std::string qualified(std::string_view key) const {
    return std::string(name_) + "." + std::string(key);
  }

  void problem(std::string_view key, const toml::node& node, std::string what) {
    problems_.add(node.source(), qualified(key) + ": " + what);
  }

  void wrong_type(std::string_view key, const toml::node& node, std::string_view expected) {
    problem(key, node,
            "expected " + std::string(expected) + ", got " + std::string(type_name(node.type())));
  }

  const toml::table* table_;
  std::string name_;
  std::string_view known_as_;
  const detail::TomlInput& input_;
  Problems& problems_;
  std::vector<std::string_view> asked_;
};

// The file's tables, in the order ops/cairn.toml has them ("listener" may
// also be an array of tables).
constexpr std::array<std::string_view, 7> kTables = {"listener", "storage", "metrics", "log",
                                                     "broker",   "limits",  "auth"};

// One listener: its keys, then the rules between them (what a type needs,
// and what it must not have: a TLS key on a plain listener is a mistake the
// operator should hear of, not a certificate silently unused).
void read_listener(TableReader& r, ListenerConfig& l) {
  r.text("type", detail::check_listener_type,
         [&l](const std::string& v) { l.type = *parse_listener_type(v); });
  r.text("listen", detail::check_listen, [&l](const std::string& v) { l.listen = v; });
  r.text("path", detail::check_websocket_path, [&l](const std::string& v) { l.path = v; });
  r.text("cert_file", detail::check_file, [&l](const std::string& v) { l.cert_file = v; });
  r.text("key_file", detail::check_file, [&l](const std::string& v) { l.key_file = v; });
  r.text("ca_file", detail::check_file, [&l](const std::string& v) { l.ca_file = v; });
  r.boolean("require_certificate", l.require_certificate);
  r.boolean("use_identity_as_username", l.use_identity_as_username);
  r.text("tls_min_version", detail::check_tls_version,
         [&l](const std::string& v) { l.tls_min_version = *parse_tls_version(v); });
  r.text("ciphers", detail::check_cipher_list, [&l](const std::string& v) { l.ciphers = v; });
  r.text("ciphersuites", detail::check_cipher_list,
         [&l](const std::string& v) { l.ciphersuites = v; });
  r.integer<1, 3600>("handshake_timeout", l.handshake_timeout);

  const std::string type = quote(std::string(listener_type_name(l.type)));
  if (!uses_websocket(l.type) && r.has("path")) {
    r.problem("path", "only for type 'ws' or 'wss'; this listener is " + type);
  }
  static constexpr std::array<std::string_view, 9> kTlsKeys = {"cert_file",
                                                               "key_file",
                                                               "ca_file",
                                                               "require_certificate",
                                                               "use_identity_as_username",
                                                               "tls_min_version",
                                                               "ciphers",
                                                               "ciphersuites",
                                                               "handshake_timeout"};
  if (!uses_tls(l.type)) {
    for (std::string_view key : kTlsKeys) {
      // A WebSocket handshake has a deadline too.
      if (key == "handshake_timeout" && uses_websocket(l.type)) continue;
      if (r.has(key)) r.problem(key, "only for type 'mqtts' or 'wss'; this listener is " + type);
    }
    return;
  }
  if (l.cert_file.empty() && !r.has("cert_file"))
    r.problem("cert_file", "required for type " + type);
  if (l.key_file.empty() && !r.has("key_file")) r.problem("key_file", "required for type " + type);
  if (l.require_certificate && l.ca_file.empty() && !r.has("ca_file")) {
    r.problem("require_certificate", "needs ca_file: the CAs client certificates must chain to");
  }
  if (l.use_identity_as_username && !l.require_certificate) {
    r.problem("use_identity_as_username",
              "needs require_certificate = true: without a certificate there is no identity");
  }
}

// The listeners: one [listener] table (the form before there could be
// several) or an array of [[listener]] tables. Messages name the table's
// keys as the operator wrote them: "listener.listen" for the one table,
// "listener[2].cert_file" for the third of an array.
void read_listeners(const toml::node* node, const detail::TomlInput& input, Problems& problems,
                    std::deque<TableReader>& readers, Config& c) {
  if (node == nullptr) return;  // the default listener
  if (const toml::table* table = node->as_table()) {
    readers.emplace_back(table, "listener", input, problems);
    read_listener(readers.back(), c.listeners.front());
    return;
  }
  const toml::array* array = node->as_array();
  if (array == nullptr) return;  // reported with the other top-level types
  if (array->empty()) {
    problems.add(node->source(), "listener: at least one listener is needed, got none");
    return;
  }
  c.listeners.assign(array->size(), ListenerConfig{});
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::string name = "listener[" + std::to_string(i) + "]";
    if (!element.is_table()) {
      problems.add(element.source(),
                   name + ": expected a table, got " + std::string(type_name(element.type())));
      continue;
    }
    readers.emplace_back(element.as_table(), name, input, problems, "listener");
    read_listener(readers.back(), c.listeners[i]);
  }
}

void read_table(std::string_view name, TableReader& r, Config& c) {
  if (name == "storage") {
    r.text("data_dir", detail::check_data_dir, [&c](const std::string& v) { c.data_dir = v; });
    r.integer<0, kU32Max>("min_free_space_mb", c.min_free_space_mb);
  } else if (name == "metrics") {
    r.text("listen", detail::check_listen_or_off,
           [&c](const std::string& v) { c.metrics_listen = v; });
  } else if (name == "log") {
    r.text("level", detail::check_log_level,
           [&c](const std::string& v) { c.log_level = *parse_log_level(v); });
  } else if (name == "broker") {
    r.integer<0, 1024>("io_threads", c.io_threads);
    r.integer<0, 86'400>("sys_interval", c.sys_interval);
    Features& f = c.features;
    r.boolean("retain_available", f.retain_available);
    r.boolean("wildcard_subscription_available", f.wildcard_subscription_available);
    r.boolean("subscription_identifiers_available", f.subscription_identifiers_available);
    r.boolean("shared_subscription_available", f.shared_subscription_available);
    r.integer<0, 2>("maximum_qos", f.maximum_qos);
  } else if (name == "limits") {
    Limits& l = c.limits;
    r.integer<1, kU32Max>("max_connections", l.max_connections);
    r.integer<1, kMaxPacketSizeLimit>("max_packet_size", l.max_packet_size);
    r.integer<1, kU16Max>("receive_maximum", l.receive_maximum);
    r.integer<1, kU16Max>("max_inflight_messages", l.max_inflight_messages);
    r.integer<1, kU32Max>("max_queued_messages", l.max_queued_messages);
    r.integer<0, kU32Max>("max_queued_mb", l.max_queued_mb);
    r.integer<1, 1'000'000>("memory_window_messages", l.memory_window_messages);
    r.integer<1, 4096>("memory_window_mb", l.memory_window_mb);
    r.text("queue_full_policy", detail::check_queue_full_policy,
           [&l](const std::string& v) { l.queue_full_policy = *parse_queue_full_policy(v); });
    r.integer<0, kU32Max>("max_subscriptions_per_client", l.max_subscriptions_per_client);
    r.integer<1, kU16Max>("max_topic_length", l.max_topic_length);
    r.integer<0, kU16Max>("max_topic_levels", l.max_topic_levels);
    r.integer<0, kU16Max>("topic_alias_maximum", l.topic_alias_maximum);
    r.integer<0, kU16Max>("max_keep_alive", l.max_keep_alive);
    r.integer<0, kU32Max>("max_session_expiry_interval", l.max_session_expiry_interval);
    r.integer<1, 3600>("connect_timeout", l.connect_timeout);
  } else if (name == "auth") {
    Auth& a = c.auth;
    r.text("password_file", detail::check_file_or_none,
           [&a](const std::string& v) { a.password_file = v; });
    r.text("acl_file", detail::check_file_or_none, [&a](const std::string& v) { a.acl_file = v; });
    r.boolean("allow_anonymous", a.allow_anonymous);
    r.integer<0, 1'000'000>("login_failures_per_minute", a.login_failures_per_minute);
  }
}

std::variant<Config, ConfigError> read_config(const toml::table& root,
                                              const detail::TomlInput& input,
                                              std::string_view source) {
  Problems problems;
  Config config;

  // A deque: readers are neither copied nor moved (each keeps a view of its
  // own name).
  std::deque<TableReader> readers;
  for (std::string_view name : kTables) {
    if (name == "listener") {
      read_listeners(root.get("listener"), input, problems, readers, config);
      continue;
    }
    readers.emplace_back(root.get_as<toml::table>(name), std::string(name), input, problems);
    read_table(name, readers.back(), config);
  }
  std::vector<KnownKey> known;
  for (const TableReader& reader : readers) reader.add_known(known);
  for (TableReader& reader : readers) reader.report_unknown(known);

  // The top level holds our tables and nothing else. A stray key there is
  // likelier a key written above its table than a misspelt table, so a key
  // gets hints from the keys and a table from the table names.
  std::vector<KnownKey> tables;
  for (std::string_view name : kTables) tables.push_back(KnownKey{"", name});
  for (const auto& [key, node] : root) {
    if (std::find(kTables.begin(), kTables.end(), key.str()) == kTables.end()) {
      const std::string name = input.restore(key.str());
      problems.add(key.source(), node.is_table()
                                     ? "unknown table " + quote(name) + suggestion("", name, tables)
                                     : "unknown key " + quote(name) + suggestion("", name, known));
    } else if (!node.is_table() && !(key.str() == "listener" && node.is_array())) {
      problems.add(node.source(), std::string(key.str()) + ": expected a table, got " +
                                      std::string(type_name(node.type())));
    }
  }

  if (problems.empty()) return config;
  return std::move(problems).to_error(source);
}

}  // namespace

std::variant<Config, ConfigError> parse_config(std::string_view toml_text,
                                               std::string_view source_name) {
  // "SOURCE:LINE:COLUMN: invalid TOML: ...": a syntax error also gives the
  // column, since the line alone may not show it.
  const auto syntax_error = [source_name](std::uint32_t line, std::uint32_t column,
                                          std::string_view what) {
    std::string message(source_name);
    if (line != 0) message += ':' + std::to_string(line) + ':' + std::to_string(column);
    return ConfigError{message + ": invalid TOML: " + detail::one_line(what)};
  };

  auto prepared = detail::TomlInput::prepare(toml_text);
  if (const auto* problem = std::get_if<detail::TomlInputProblem>(&prepared)) {
    return syntax_error(problem->line, problem->column, problem->what);
  }
  const detail::TomlInput& input = std::get<detail::TomlInput>(prepared);
  toml::table root;
  try {
    root = toml::parse(input.text(), source_name);
  } catch (const toml::parse_error& error) {
    const toml::source_position& at = error.source().begin;
    return syntax_error(at.line, at.column, input.restore(error.description()));
  }
  return read_config(root, input, source_name);
}

std::variant<Config, ConfigError> load_config_file(const std::string& path) {
  // stdio rather than iostreams: a failed read (a directory, an I/O error)
  // is an error code here, where libstdc++'s stream buffers throw it.
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) return ConfigError{path + ": cannot open: " + std::strerror(errno)};
  std::string text;
  std::array<char, 64 * 1024> buffer;
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
    text.append(buffer.data(), got);
  }
  if (std::ferror(file.get())) return ConfigError{path + ": cannot read: " + std::strerror(errno)};
  return parse_config(text, path);
}

}  // namespace cairn::config
