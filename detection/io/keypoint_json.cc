#include "detection/io/keypoint_json.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace epilabel::keypoint_json {

bool JsonWorker::Load(const std::string& path, size_t* length, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    *error = std::string("cannot stat: ") + std::strerror(errno);
    ::close(fd);
    return false;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size + simdjson::SIMDJSON_PADDING > capacity) {
    capacity = std::max<size_t>(size + simdjson::SIMDJSON_PADDING, 2 * capacity);
    buffer.reset(new char[capacity]);
  }
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, buffer.get() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = n < 0 ? std::string("read failed: ") + std::strerror(errno) : "file shrank while reading";
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  std::memset(buffer.get() + size, 0, simdjson::SIMDJSON_PADDING);
  *length = size;
  return true;
}

std::string JsonErrorMessage(simdjson::error_code code, const char* text, size_t length) {
  const std::string_view view(text, length);
  for (const char* literal : {"NaN", "Infinity"}) {
    const size_t at = view.find(literal);
    if (at != std::string_view::npos) {
      const size_t line = 1 + static_cast<size_t>(std::count(view.begin(), view.begin() + at, '\n'));
      return std::string("malformed JSON: ") + literal + " on line " + std::to_string(line) +
             " is not a JSON number (missing joints are written as 0, 0, 0)";
    }
  }
  if (length == 0) return "malformed JSON: the file is empty";
  return std::string("malformed JSON: ") + simdjson::error_message(code);
}

std::string ParseTriples(simdjson::dom::element value, const char* key, Person2d* person) {
  simdjson::dom::array arr;
  if (value.get_array().get(arr)) return std::string("'") + key + "' is not an array";
  const size_t n = arr.size();
  if (n % 3 != 0) {
    return std::string("'") + key + "' has " + std::to_string(n) +
           " values, not a multiple of 3 (x, y, confidence per joint)";
  }
  person->joints.resize(n / 3);
  double* out = person->joints.empty() ? nullptr : person->joints.front().data();
  size_t i = 0;
  for (simdjson::dom::element v : arr) {
    double d;
    if (v.get_double().get(d)) {
      return std::string("'") + key + "' value " + std::to_string(i) + " (joint " + std::to_string(i / 3) +
             ") is not a number";
    }
    if (!std::isfinite(d)) {
      return std::string("'") + key + "' value " + std::to_string(i) + " (joint " + std::to_string(i / 3) +
             ") is not finite";
    }
    out[i++] = d;  // Eigen::Vector3d is three packed doubles.
  }
  return "";
}

void AppendNumber(std::string& out, double v) {
  if (v == 0.0) {
    out += '0';
    return;
  }
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

void AppendJoints(std::string& out, const Person2d& person) {
  out += '[';
  for (size_t j = 0; j < person.joints.size(); ++j) {
    const Eigen::Vector3d& k = person.joints[j];
    const bool ok = k.allFinite();
    if (j > 0) out += ',';
    AppendNumber(out, ok ? k.x() : 0.0);
    out += ',';
    AppendNumber(out, ok ? k.y() : 0.0);
    out += ',';
    AppendNumber(out, ok ? k.z() : 0.0);
  }
  out += ']';
}

}  // namespace epilabel::keypoint_json
