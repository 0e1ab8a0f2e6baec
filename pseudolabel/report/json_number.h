// JSON has no NaN or infinity: every report writes them as null, through this one helper.
#pragma once

#include <cmath>

#include <nlohmann/json.hpp>

namespace epilabel {

inline nlohmann::json JsonNumber(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace epilabel
