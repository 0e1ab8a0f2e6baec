// The project's error policy (written down once):
//  - bad user input (files, options) throws InputError with a message that names the file,
//    the place in it (line, frame, camera) and what was expected; the CLI prints it and exits 2;
//  - an expected failure of an algorithm is a value (`success = false`, std::optional);
//  - misuse of the API throws std::invalid_argument; internal invariants assert;
//  - libraries name options by their keys, never by a front end's spelling: `where` may be a
//    key (`subject_height`), and a hint inside a message or a failure reason writes the key in
//    backticks ("give `skeleton`"); the CLI shows both as its flags (--subject-height).
#pragma once

#include <stdexcept>
#include <string>

namespace epilabel {

class InputError : public std::runtime_error {
 public:
  // `where` is usually a file path (optionally with ":line" or a frame); `what` says what was
  // wrong and what was expected.
  InputError(const std::string& where, const std::string& what)
      : std::runtime_error(where.empty() ? what : where + ": " + what), where_(where) {}
  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

}  // namespace epilabel
