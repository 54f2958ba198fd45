"""Run the estimator tests with one BLAS thread.

These tests train many small networks (matrices of a few hundred rows); OpenBLAS's threads
cost more than they save there, and on a busy 2-core machine they make a fit ten times slower.
Both minidl and scikit-learn run under the same limit.
"""
import pytest


@pytest.fixture(autouse=True)
def _one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
