# deterministic: The tutorial's WGAN-GP gradient penalty, driven by a small critic.
import pullback as torch
import pullback.nn as nn

def gradient_penalty(critic, real, fake, device):
    """Compute gradient penalty for WGAN-GP."""
    batch_size = real.size(0)
    alpha = torch.rand(batch_size, 1, 1, 1, device=device)
    
    interpolated = alpha * real + (1 - alpha) * fake
    interpolated.requires_grad_(True)
    
    critic_output = critic(interpolated)
    
    # Need gradients w.r.t. interpolated (not scalar loss!)
    gradients = torch.autograd.grad(
        outputs=critic_output,
        inputs=interpolated,
        grad_outputs=torch.ones_like(critic_output),
        create_graph=True
    )[0]
    
    gradients = gradients.view(batch_size, -1)
    penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
    return penalty

device = "cpu"
critic = nn.Sequential(nn.Flatten(), nn.Linear(1 * 8 * 8, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
real = torch.randn(16, 1, 8, 8)
fake = torch.randn(16, 1, 8, 8)

penalty = gradient_penalty(critic, real, fake, device)
penalty.backward()
print(f"penalty requires grad: {penalty.requires_grad}")
print(f"first layer weight grad shape: {critic[1].weight.grad.shape}")
print(f"last layer bias grad: {critic[3].bias.grad}")  # the penalty does not reach it: None
