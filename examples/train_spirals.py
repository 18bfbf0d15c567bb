# Train a small MLP on two interleaved spirals (a dataset made here) to over 95% accuracy,
# with mini-batches, Adam and a cosine learning-rate schedule (--compile: the same, compiled).
import math

import pullback as torch
import pullback.nn as nn


def make_spirals(n_per_class=500, noise=0.08):
    """Two interleaved 2-D spirals: points (2n, 2) and labels (2n,)."""
    t = torch.rand(n_per_class) ** 0.5 * 3 * math.pi
    arm = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / (3 * math.pi)
    points = torch.cat([arm, -arm]) + torch.randn(2 * n_per_class, 2) * noise
    labels = torch.cat([torch.zeros(n_per_class, dtype=torch.long), torch.ones(n_per_class, dtype=torch.long)])
    return points, labels


class SpiralNet(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, 2)

    def forward(self, x):
        return self.head(self.body(x))


def train_step(model, optimizer, x, y):
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


def main(epochs=40, batch_size=50, compile=False):
    torch.manual_seed(0)
    points, labels = make_spirals()
    model = SpiralNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    step = torch.compile(train_step) if compile else train_step
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(points))
        for start in range(0, len(points), batch_size):
            batch = order[start:start + batch_size]
            loss = step(model, optimizer, points[batch], labels[batch])
        scheduler.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(points).argmax(dim=1) == labels).float().mean().item()
        print(f"epoch {epoch + 1:3d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")
    print(f"final accuracy: {accuracy:.3f}")


if __name__ == "__main__":
    import sys
    main(compile="--compile" in sys.argv)  # --compile: the same training, each step replayed by pullback.compile
