// Small helpers of the runs' edges: timing, JSON documents and the HTML report written
// atomically from in-memory inputs.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>


namespace epilabel {

// Seconds since `since`.
double SecondsSince(std::chrono::steady_clock::time_point since);

// Writes pretty JSON atomically (temporary name, then rename).
void WriteJson(const nlohmann::json& json, const std::string& path);

}  // namespace epilabel
