"""Mail going out: the transactional outbox, the sender, digests, and the accounts it logs in with."""
