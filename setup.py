"""Build script for the Cython extensions of fastemb.

Metadata lives in ``pyproject.toml``; this file only declares the compiled
modules. The hot loops rely on the C compiler to vectorise float loops, so we
compile with ``-O3 -ffast-math`` (fast-math lets gcc reorder the float sums of
dot products into SIMD lanes). ``-march=native`` is added for source builds
because ``pip install .`` compiles on the machine that will run the code; set
``FASTEMB_PORTABLE=1`` to leave it out when building a wheel for other machines.
"""
import glob
import os
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup


def _compile_args():
    if sys.platform == "win32":
        return ["/O2", "/fp:fast"]
    args = ["-O3", "-ffast-math", "-funroll-loops", "-fno-strict-aliasing"]
    if os.environ.get("FASTEMB_PORTABLE", "0") != "1":
        args.append("-march=native")
    return args


def _extension(name):
    return Extension(
        f"fastemb.{name}",
        sources=[f"fastemb/{name}.pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=_compile_args(),
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        # gcc vectorises expf/logf loops into glibc's vector maths (libmvec),
        # which libm brings in
        libraries=[] if sys.platform == "win32" else ["m"],
    )


#: Every private kernel: fastemb/_*.pyx, each its own extension module.
KERNELS = sorted(os.path.basename(path)[:-4] for path in glob.glob("fastemb/_*.pyx"))
#: The kernels are translated and compiled side by side, one a core.
JOBS = os.cpu_count() or 1

setup(
    ext_modules=cythonize(
        [_extension(name) for name in KERNELS],
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
        annotate=os.environ.get("FASTEMB_ANNOTATE", "0") == "1",
        nthreads=JOBS,
    ),
    options={"build_ext": {"parallel": JOBS}},
)
