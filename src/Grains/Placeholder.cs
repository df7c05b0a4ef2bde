namespace Autonomy;

internal static class Placeholder;
