//! A small seeded random source for arrival schedules: xoshiro256** seeded through
//! splitmix64, and the exponential and gamma samplers the `--arrival poisson` gaps need.
//!
//! Hand-written rather than a dependency: a schedule needs a few dozen lines of well-known
//! algorithms (Blackman and Vigna's generator, Marsaglia and Tsang's gamma method), and
//! their output must stay the same across versions so that a `--seed` repeats its schedule;
//! a crate upgrade could change the stream.

/// xoshiro256**: fast, small state, passes BigCrush; not for cryptography (nothing here is).
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole stream is determined by `seed` (expanded by splitmix64, as
    /// the xoshiro authors recommend, so seeds 0, 1, 2 give unrelated streams).
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in (0, 1]: never 0, so its logarithm is finite.
    pub fn unit(&mut self) -> f64 {
        // 53 random bits, the precision of an f64 mantissa.
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// Exponential with mean 1.
    pub fn exponential(&mut self) -> f64 {
        -self.unit().ln()
    }

    /// Standard normal (Box-Muller; one of the pair is dropped, which keeps no state).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Gamma with `shape` k > 0 and scale 1 (mean k, variance k), by Marsaglia and Tsang
    /// (2000); below shape 1, through the boost `Gamma(k) = Gamma(k + 1) * U^(1/k)`.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * self.unit().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.unit();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_and_cv(samples: &[f64]) -> (f64, f64) {
        let n = samples.len() as f64;
        let mean = samples.iter().sum::<f64>() / n;
        let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt() / mean)
    }

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let a: Vec<u64> = (0..8).map(|_| Rng::new(7).next_u64()).collect();
        let mut r = Rng::new(7);
        let b: Vec<u64> = (0..8).map(|_| r.next_u64()).collect();
        assert!(a.iter().all(|&x| x == a[0]), "a fresh generator repeats");
        assert_eq!(b[0], a[0]);
        assert_ne!(Rng::new(8).next_u64(), a[0]);
    }

    #[test]
    fn unit_is_in_the_half_open_interval_and_centered() {
        let mut r = Rng::new(1);
        let u: Vec<f64> = (0..100_000).map(|_| r.unit()).collect();
        assert!(u.iter().all(|&x| x > 0.0 && x <= 1.0));
        let (mean, _) = mean_and_cv(&u);
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
    }

    #[test]
    fn gamma_has_mean_k_and_cv_one_over_root_k() {
        for shape in [0.25, 0.5, 1.0, 2.0, 4.0] {
            let mut r = Rng::new(3);
            let g: Vec<f64> = (0..100_000).map(|_| r.gamma(shape)).collect();
            let (mean, cv) = mean_and_cv(&g);
            assert!(
                (mean / shape - 1.0).abs() < 0.03,
                "shape {shape}: mean {mean}"
            );
            let expected = 1.0 / shape.sqrt();
            assert!((cv / expected - 1.0).abs() < 0.05, "shape {shape}: cv {cv}");
        }
    }

    #[test]
    fn exponential_has_mean_and_cv_one() {
        let mut r = Rng::new(5);
        let e: Vec<f64> = (0..100_000).map(|_| r.exponential()).collect();
        let (mean, cv) = mean_and_cv(&e);
        assert!(
            (mean - 1.0).abs() < 0.02 && (cv - 1.0).abs() < 0.03,
            "{mean} {cv}"
        );
    }
}
