//! request encoding
