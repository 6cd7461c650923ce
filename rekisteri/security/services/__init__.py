"""Login security: the per-account ceiling across addresses (login_limits), two-factor login
(two_factor)."""
