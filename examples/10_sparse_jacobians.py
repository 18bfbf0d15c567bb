# Sparse Jacobians and Hessians with SciPy: a feature of pullback that PyTorch does not have.
# Each Jacobian below has thousands of columns but is found from a handful of JVPs.
import numpy as np
import scipy.integrate
import scipy.optimize
import scipy.sparse.linalg

import pullback as torch
import pullback.sparse

# 1. Newton's method on the Bratu problem, laplacian(u) + 2 exp(u) = 0 on a 40 x 40 grid with u = 0
#    on the boundary: a 1,600 x 1,600 Jacobian with 5 nonzeros a row.
n, h = 40, 1.0 / 41


def bratu(u):
    p = torch.nn.functional.pad(u.reshape(n, n), (1, 1, 1, 1))
    laplacian = (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4 * p[1:-1, 1:-1]) / h**2
    return (laplacian + 2 * torch.exp(p[1:-1, 1:-1])).reshape(-1)


u = torch.zeros(n * n, dtype=torch.float64)
jac = pullback.sparse.prepare_jacobian(bratu, u)
print(jac)
for step in range(8):
    r = bratu(u)
    if r.abs().max().item() < 1e-10:
        break
    u = u - torch.tensor(scipy.sparse.linalg.spsolve(jac(u).tocsc(), r.numpy()))
print(f"Newton: {step} steps, residual {bratu(u).abs().max().item():.1e}, max u = {u.max().item():.4f}")

# 2. A stiff system for scipy's BDF integrator: the Brusselator on 200 cells, with the Jacobian and
#    its sparsity from pullback.
cells, alpha = 200, 0.02 * 201**2


def brusselator(y):
    u, v = y[:cells], y[cells:]
    pu = torch.nn.functional.pad(u, (1, 1), value=1.0)
    pv = torch.nn.functional.pad(v, (1, 1), value=3.0)
    du = 1 + u * u * v - 4 * u + alpha * (pu[:-2] - 2 * u + pu[2:])
    dv = 3 * u - u * u * v + alpha * (pv[:-2] - 2 * v + pv[2:])
    return torch.cat([du, dv])


x = np.linspace(0, 1, cells + 2)[1:-1]
y0 = np.concatenate([1 + np.sin(2 * np.pi * x), np.full(cells, 3.0)])
ode_jac = pullback.sparse.prepare_jacobian(brusselator, torch.tensor(y0))
solution = scipy.integrate.solve_ivp(
    lambda t, y: brusselator(torch.tensor(y)).numpy(), (0, 10), y0, method="BDF",
    jac=lambda t, y: ode_jac(torch.tensor(y)), jac_sparsity=ode_jac.sparsity)
print(f"BDF: {solution.status == 0}, {solution.nfev} evaluations, {solution.njev} Jacobians "
      f"({ode_jac.n_colors} JVPs each)")

# 3. A trust-region minimisation of the chained Rosenbrock function (1,000 unknowns) with the
#    exact sparse Hessian.


def rosenbrock(x):
    return 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum() + ((1 - x[:-1]) ** 2).sum()


start = torch.tensor(np.full(1000, 0.5))
hess = pullback.sparse.prepare_hessian(rosenbrock, start)
value_and_grad = torch.func.grad_and_value(rosenbrock)


def fun(z):
    g, value = value_and_grad(torch.tensor(z))
    return value.item(), g.numpy()


result = scipy.optimize.minimize(fun, start.numpy(), jac=True, method="trust-constr",
                                 hess=lambda z: hess(torch.tensor(z)))
print(f"trust-constr: {hess}, {result.nit} iterations, |x - 1| < 1e-6: {np.abs(result.x - 1).max() < 1e-6}")
