//! [`FadeIn`]: the level rising from silence when a lost sound card comes back, so the room
//! hears the music return rather than jump in mid-phrase at full level.

/// A raised-cosine rise over a fixed number of frames of interleaved stereo, applied block by
/// block as the blocks go to the device; unity gain once it is over.
#[derive(Debug, Clone)]
pub(super) struct FadeIn {
    frames: usize,
    at: usize,
}

impl FadeIn {
    pub fn new(frames: usize) -> Self {
        FadeIn { frames, at: 0 }
    }

    /// No fade: blocks pass unchanged.
    pub fn none() -> Self {
        FadeIn::new(0)
    }

    pub fn is_over(&self) -> bool {
        self.at >= self.frames
    }

    /// The gain for frame `k` of the fade. A raised cosine starts and ends with no slope, so
    /// neither end of the fade is heard as a corner; it never reaches zero, so a frame of music
    /// is never turned into exact silence.
    fn gain(&self, k: usize) -> f32 {
        if k >= self.frames {
            return 1.0;
        }
        let x = (k + 1) as f64 / (self.frames + 1) as f64;
        (0.5 - 0.5 * (std::f64::consts::PI * x).cos()) as f32
    }

    /// Scales `block` (interleaved stereo) by the fade where it still runs.
    pub fn apply(&mut self, block: &mut [f32]) {
        if self.is_over() {
            return;
        }
        for frame in block.chunks_exact_mut(2) {
            let gain = self.gain(self.at);
            frame[0] *= gain;
            frame[1] *= gain;
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ones(frames: usize) -> Vec<f32> {
        vec![1.0; frames * 2]
    }

    #[test]
    fn rises_from_near_silence_to_unity_without_a_step() {
        let mut fade = FadeIn::new(4800);
        let mut block = ones(6000);
        fade.apply(&mut block);
        let left: Vec<f32> = block.iter().step_by(2).copied().collect();
        assert!(left[0] > 0.0 && left[0] < 1e-3, "first gain {}", left[0]);
        assert!(left.windows(2).all(|w| w[1] >= w[0]), "the gain falls somewhere");
        assert!(
            left[4800..].iter().all(|&g| g == 1.0),
            "not at unity after the fade"
        );
        let largest_step = left.windows(2).map(|w| w[1] - w[0]).fold(0.0f32, f32::max);
        // A straight line over the same frames would step by 1/4800 each frame; the cosine's
        // steepest step is pi/2 times that, and no jump anywhere.
        assert!(largest_step < 2.0 / 4800.0, "largest step {largest_step}");
        assert!(fade.is_over());
    }

    #[test]
    fn the_same_fade_whatever_the_block_size() {
        let mut whole = ones(3000);
        FadeIn::new(2048).apply(&mut whole);
        let mut fade = FadeIn::new(2048);
        let mut split = Vec::new();
        for size in [1, 7, 1024, 1968] {
            let mut block = ones(size);
            fade.apply(&mut block);
            split.extend(block);
        }
        assert_eq!(whole, split);
    }

    #[test]
    fn no_fade_changes_nothing() {
        let mut block = vec![0.25, -0.5, 0.75, 1.0];
        FadeIn::none().apply(&mut block);
        assert_eq!(block, [0.25, -0.5, 0.75, 1.0]);
    }
}
