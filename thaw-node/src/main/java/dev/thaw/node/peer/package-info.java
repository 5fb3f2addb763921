/**
 * Peer-to-peer snapshot sharing: the chunks a node's committed cache entries hold, served to the
 * other agents of its cluster ({@link dev.thaw.node.peer.PeerServer}, behind the peer token of
 * {@link dev.thaw.node.peer.PeerTokens}), and where the agents holding a revision are found ({@link
 * dev.thaw.node.peer.PeerDirectory}).
 */
package dev.thaw.node.peer;
