package dev.thaw.node.agent;

import dev.thaw.node.protocol.Served;

/**
 * The outcome of one invocation on a node.
 *
 * @param status the function's HTTP status
 * @param body the function's answer
 * @param served where and how it ran
 */
public record Invocation(int status, String body, Served served) {}
