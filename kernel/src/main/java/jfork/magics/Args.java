package jfork.magics;

import java.util.List;

/** Small checks for magic arguments, each failing with a message that names the option. */
final class Args {
    static String value(List<String> args, int i, String option) {
        if (i >= args.size()) throw new UsageError(option + " needs a value");
        return args.get(i);
    }

    static int positiveInt(String option, String text, int min, int max) {
        int v;
        try {
            v = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new UsageError(option + " needs a whole number, got '" + text + "'");
        }
        if (v < min || v > max) throw new UsageError(option + " must be between " + min + " and " + max + ", got " + v);
        return v;
    }

    static double positiveDouble(String option, String text) {
        double v;
        try {
            v = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new UsageError(option + " needs a number of seconds, got '" + text + "'");
        }
        if (!(v > 0) || Double.isInfinite(v)) throw new UsageError(option + " must be a positive number of seconds, got " + text);
        return v;
    }

    private Args() {
    }
}
