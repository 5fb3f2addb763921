package dev.thaw.node.protocol;

/**
 * One instance as an agent's {@code GET /instances} reports it.
 *
 * @param id unique on its node
 * @param revision the revision it runs
 * @param endpoint where its guest listens on the node
 * @param busy whether it is serving an invocation (else it is warm and idle)
 */
public record InstanceInfo(String id, String revision, String endpoint, boolean busy) {}
