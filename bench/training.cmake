# Lifter training throughput (samples/s of one epoch) of mlp, tcn and gcn on the synthetic
# studio's ground truth, with 1 and 2 threads:
#   build/bench/training_bench [--benchmark_filter=Mlp] [--benchmark_min_time=2]
# Lifter accuracy on held-out motion clips (mlp trained on ground truth of the other clips):
#   build/bench/training_accuracy [--frames 1500] [--hidden 1024] [--epochs 10]
if(TARGET epilabel_training AND TARGET epilabel_synthetic)
  add_executable(training_bench ${CMAKE_CURRENT_SOURCE_DIR}/training_bench.cc)
  target_link_libraries(training_bench PRIVATE epilabel::training epilabel::synthetic benchmark::benchmark)
  target_compile_options(training_bench PRIVATE ${EPILABEL_WARNINGS})
  target_compile_definitions(training_bench PRIVATE EPILABEL_DATA_DIR="${EPILABEL_DATA_DIR}")
  set_target_properties(training_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")

  add_executable(training_accuracy ${CMAKE_CURRENT_SOURCE_DIR}/training_accuracy.cc)
  target_link_libraries(training_accuracy PRIVATE epilabel::training epilabel::synthetic)
  target_compile_options(training_accuracy PRIVATE ${EPILABEL_WARNINGS})
  target_compile_definitions(training_accuracy PRIVATE EPILABEL_DATA_DIR="${EPILABEL_DATA_DIR}")
  set_target_properties(training_accuracy PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")
endif()

# Every lifter (mlp, tcn, gcn, transformer, diffusion) on the demo's studio split: accuracy,
# training samples/s and inference frames/s:
#   build/bench/lifter_models_accuracy [--frames 3000] [--epochs 4] [--models mlp,tcn,...]
if(TARGET epilabel_training AND TARGET epilabel_synthetic)
  add_executable(lifter_models_accuracy ${CMAKE_CURRENT_SOURCE_DIR}/lifter_models_accuracy.cc)
  target_link_libraries(lifter_models_accuracy PRIVATE epilabel::training epilabel::synthetic epilabel::stages)
  target_compile_options(lifter_models_accuracy PRIVATE ${EPILABEL_WARNINGS})
  target_compile_definitions(lifter_models_accuracy PRIVATE EPILABEL_DATA_DIR="${EPILABEL_DATA_DIR}")
  set_target_properties(lifter_models_accuracy PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")
endif()
