// Triangulation of 2D joint observations with known cameras: the public header of both layers.
//  - point_triangulation.h: one point from its views (linear, refined, robust; covariance);
//  - sequence_triangulation.h: every joint of every frame of a sequence (TriangulateSequence).
#pragma once

#include "geometry/estimators/point_triangulation.h"
#include "geometry/estimators/sequence_triangulation.h"
