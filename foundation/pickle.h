// A minimal Python pickle writer (protocol 3) for the object arrays of NumPy archives, e.g. the
// dicts of the VideoPose3D export (np.load(path, allow_pickle=True)['positions_3d'].item()).
//
// Values are built as a tree and serialised once. Arrays become
//   numpy.frombuffer(bytearray(<bytes>), dtype).reshape(shape)
// (writable, independent of NumPy's private module layout). ToNumpyObjectArrayPickle wraps the
// root in numpy.array(root, dtype=object), the 0-d object array that numpy.savez writes for a
// dict.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "foundation/npz.h"

namespace epilabel {

class PickleValue {
 public:
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kList, kDict, kArray };

  static PickleValue None() { return PickleValue(Kind::kNone); }
  static PickleValue Bool(bool v);
  static PickleValue Int(int64_t v);
  static PickleValue Float(double v);
  static PickleValue String(std::string v);
  static PickleValue List(std::vector<PickleValue> items = {});
  static PickleValue Dict();  // string keys, insertion order kept
  static PickleValue Array(NpyArray array);

  // Dict: sets key (appends, or replaces an existing key). List: appends.
  PickleValue& Set(const std::string& key, PickleValue value);
  PickleValue& Append(PickleValue value);
  // Dict lookup (creates an empty dict under `key` when missing).
  PickleValue& operator[](const std::string& key);

  Kind kind() const { return kind_; }
  // Dict keys and values (list items), in order.
  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<PickleValue>& items() const { return items_; }

  // The pickle of this value alone.
  std::string Serialize() const;

 private:
  explicit PickleValue(Kind kind) : kind_(kind) {}
  void Write(std::string* out) const;
  friend std::string ToNumpyObjectArrayPickle(const PickleValue& root);

  Kind kind_ = Kind::kNone;
  bool bool_ = false;
  int64_t int_ = 0;
  double float_ = 0.0;
  std::string string_;
  std::vector<PickleValue> items_;                  // list items, or dict values
  std::vector<std::string> keys_;                   // dict keys
  std::shared_ptr<const NpyArray> array_;
};

// The pickle of numpy.array(root, dtype=object): what np.savez stores for a dict argument.
std::string ToNumpyObjectArrayPickle(const PickleValue& root);

}  // namespace epilabel
