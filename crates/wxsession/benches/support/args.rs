//! What the two load generators share besides HTTP: their error type and positional arguments.

/// Any error, printed by `main`.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Positional argument `i`, or an error naming it.
pub fn arg(args: &[String], i: usize) -> Result<&str> {
    args.get(i)
        .map(String::as_str)
        .ok_or_else(|| format!("missing argument {i}").into())
}
