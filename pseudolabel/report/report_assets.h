// The report's embedded assets (generated at build time by embed_assets.cmake): the page
// template, its script and style, three.js (module build) and its OrbitControls add-on.
#pragma once

#include <string>

namespace epilabel::report_internal {

// Content of an asset: "template.html", "app.js", "style.css", "three.module.min.js",
// "OrbitControls.js", "three.package.json". Throws std::logic_error for other names.
std::string Asset(const std::string& name);

}  // namespace epilabel::report_internal
