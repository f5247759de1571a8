package jfork.protocol;

import io.github.spencerpark.jupyter.messages.HMACGenerator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/** HMAC signing of the four JSON frames, with a constant-time check of incoming signatures. */
final class Signer {
    private final HMACGenerator hmac;

    Signer(HMACGenerator hmac) {
        this.hmac = hmac;
    }

    String sign(List<byte[]> jsonFrames) {
        return hmac.calculateSignature(jsonFrames.toArray(new byte[0][]));
    }

    boolean verifies(String signature, List<byte[]> jsonFrames) {
        String expected = sign(jsonFrames);
        if (expected.isEmpty()) return true; // no key configured: signing disabled
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }
}
