//! The planned timeline of a scene: the core run offline with each therapist transition at
//! its planned time.
