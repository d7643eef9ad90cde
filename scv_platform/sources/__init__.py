"""Landing zone to bronze: one asset per landing entity, loaded with the engine's native readers."""
