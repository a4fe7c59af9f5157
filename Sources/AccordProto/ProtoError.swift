/// Placeholder replaced by the codec work.
