"""Random factories take a pullback.Generator: the same seed, the same numbers."""
import pullback


def test_every_sampler_takes_a_generator():
    g = pullback.Generator()
    draws = []
    for _ in range(2):
        g.manual_seed(7)
        draws.append([pullback.randn(3, generator=g), pullback.rand(2, generator=g),
                      pullback.randint(0, 9, (4,), generator=g), pullback.randperm(5, generator=g),
                      pullback.normal(0.0, 2.0, (3,), generator=g),
                      pullback.bernoulli(pullback.full((4,), 0.5), generator=g),
                      pullback.multinomial(pullback.tensor([0.2, 0.8]), 2, replacement=True, generator=g)])
    assert all(pullback.equal(a, b) for a, b in zip(*draws))
    g.manual_seed(8)
    assert not pullback.equal(pullback.randn(3, generator=g), draws[0][0])
