// A small application that embeds Kestrel: it loads Kestrel source at run time, binds functions
// to C++ signatures (checked against the source), passes std::vector and Eigen data without
// copies, passes a result on to another function (no copy either), and reports a Kestrel runtime
// error with its file:line:col.
//
//   cmake -S examples/embed -B build-embed -DKestrel_DIR=$PWD/build && cmake --build build-embed
//   build-embed/embed_demo examples/embed/stats.kst stdlib/montecarlo.kst
// or, against an install (cmake --install build --prefix P, or the .deb: P=/usr):
//   cmake -S examples/embed -B build-embed -DCMAKE_PREFIX_PATH=P && cmake --build build-embed
//   build-embed/embed_demo examples/embed/stats.kst P/share/kestrel/stdlib/montecarlo.kst
#include <Eigen/Dense>
#include <cstdio>
#include <kestrel/kestrel.hpp>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: embed_demo STATS.kst MONTECARLO.kst\n");
    return 2;
  }
  try {
    kestrel::Engine engine;  // tiered by default; EngineOptions{.mode = Mode::Jit} or Mode::Interp
    kestrel::Module stats = engine.load_file(argv[1]);

    // std::vector in, updated in place.
    auto saxpy =
        stats.function<void(float, kestrel::ArrayView<const float>, kestrel::ArrayView<float>)>(
            "saxpy");
    std::vector<float> x{1, 2, 3, 4};
    std::vector<float> y{10, 20, 30, 40};
    saxpy(2.0f, x, y);
    std::printf("saxpy: %g %g %g %g\n", y[0], y[1], y[2], y[3]);

    // An Eigen vector in, a Kestrel array out (a counted reference, no copy either way).
    auto standardize =
        stats.function<kestrel::Array<double>(kestrel::ArrayView<const double>)>("standardize");
    Eigen::VectorXd v(8);
    v << 2, 4, 4, 4, 5, 5, 7, 9;  // mean 5, standard deviation 2
    kestrel::Array<double> z = standardize(v);
    std::printf("standardize:");
    for (std::int64_t i = 0; i < z.shape(0); ++i) {
      std::printf(" %.2f", z(i));
    }
    std::printf("\n");
    // That result goes straight on to another function: the same array, not a copy.
    auto norm = stats.function<double(kestrel::ArrayView<const double>)>("norm");
    std::printf("norm(standardize(v)) = %.4f\n", norm(z));

    // An Eigen matrix (column-major) is passed with its strides.
    auto row_max =
        stats.function<double(kestrel::MatrixView<const double>, std::int64_t)>("row_max");
    Eigen::MatrixXd m(2, 3);
    m << 1, 9, 3, 4, 5, 6;
    std::printf("row_max(m, 0) = %g\n", row_max(m, 0));

    // The standard library, as DESIGN.md shows it.
    kestrel::Module mc = engine.load_file(argv[2]);
    auto pi = mc.function<double(std::int64_t, std::int64_t)>("pi");
    std::printf("pi(1000000, 42) = %.6f\n", pi(1'000'000, 42));

    // A runtime error comes back as kestrel::Error with its location.
    try {
      row_max(m, 7);
    } catch (const kestrel::Error& e) {
      std::printf("caught: %s", e.what());
    }
    // So does a signature that does not match the source.
    try {
      stats.function<double(double)>("standardize");
    } catch (const kestrel::Error& e) {
      std::printf("caught: %s", e.what());
    }
  } catch (const kestrel::Error& e) {
    std::fprintf(stderr, "%s", e.what());
    return 1;
  }
  return 0;
}
