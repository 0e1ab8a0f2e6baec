# Association of several people:
#   build/bench/association_bench   speed: with and without calibration, single person, + triangulation
add_executable(association_bench ${CMAKE_CURRENT_SOURCE_DIR}/association_bench.cc)
target_link_libraries(association_bench PRIVATE epilabel::geometry benchmark::benchmark TBB::tbb)
target_compile_options(association_bench PRIVATE ${EPILABEL_WARNINGS})
set_target_properties(association_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")

# Several people on the studio against the truth: PCP, MPJPE vs the oracle association,
# identity switches, speed, self-calibration from every person.
#   build/bench/people_accuracy [--frames 1500] [--seed 1] [--scenario ring8_3]
add_executable(people_accuracy ${CMAKE_CURRENT_SOURCE_DIR}/people_accuracy.cc)
target_link_libraries(people_accuracy PRIVATE epilabel::people_evaluation)
target_compile_options(people_accuracy PRIVATE ${EPILABEL_WARNINGS})
target_compile_definitions(people_accuracy PRIVATE EPILABEL_DATA_DIR="${EPILABEL_DATA_DIR}")
set_target_properties(people_accuracy PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")
