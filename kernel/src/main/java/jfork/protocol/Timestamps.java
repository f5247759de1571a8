package jfork.protocol;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** ISO 8601 with microseconds and an explicit UTC offset, as the messaging spec asks. */
final class Timestamps {
    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX").withZone(ZoneOffset.UTC);

    static String now() {
        return FORMAT.format(Instant.now().truncatedTo(ChronoUnit.MICROS));
    }

    private Timestamps() {
    }
}
