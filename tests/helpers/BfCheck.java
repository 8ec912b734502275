// BfCheck.java - opens TIFF files with Bio-Formats, the reader behind
// Fiji's File > Import > Bio-Formats, and prints what it made of each, so
// that tests/sh/tiff.sh can compare it with numpy.  Run in Java's
// source-file mode: java -cp bioformats_package.jar:ij.jar BfCheck.java F...
// For each file, two parts:
//  - Bio-Formats' reader (loci.formats.ImageReader): "FILE reader FORMAT
//    ORDER X Y Z C T PIXELTYPE", then one line per plane, in the file's
//    order: "Z C T v v v ..." (the plane's indexes, then its values; they are
//    integers, or floats as Java prints them).
//  - the ImageJ plugin (loci.plugins.BF.openImagePlus, what the importer
//    runs): "FILE imagej W H C Z T hyperstack bits PW PH PD UNIT", the
//    last four its calibration (pixel width, height, depth and their
//    unit, spaces as "_"), then every pixel of
//    every stack image in ImageJ's stack order (C fastest, then Z, then T).
// Exit 1 if a file does not open.
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ImageProcessor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import loci.common.DebugTools;
import loci.formats.FormatTools;
import loci.formats.ImageReader;
import loci.plugins.BF;

public class BfCheck {
    // One plane's values as text, from Bio-Formats' bytes.
    static String values(byte[] b, int type, boolean little, int n) {
        ByteBuffer buf = ByteBuffer.wrap(b).order(little ? ByteOrder.LITTLE_ENDIAN
                                                         : ByteOrder.BIG_ENDIAN);
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < n; k++) {
            switch (type) {
            case FormatTools.INT8: s.append(buf.get()); break;
            case FormatTools.UINT8: s.append(buf.get() & 0xff); break;
            case FormatTools.INT16: s.append(buf.getShort()); break;
            case FormatTools.UINT16: s.append(buf.getShort() & 0xffff); break;
            case FormatTools.INT32: s.append(buf.getInt()); break;
            case FormatTools.UINT32: s.append(buf.getInt() & 0xffffffffL); break;
            case FormatTools.FLOAT: s.append(buf.getFloat()); break;
            case FormatTools.DOUBLE: s.append(buf.getDouble()); break;
            default: throw new IllegalArgumentException("pixel type " + type);
            }
            s.append(' ');
        }
        return s.toString().trim();
    }

    static void reader(String f) throws Exception {
        try (ImageReader r = new ImageReader()) {
            r.setId(f);
            System.out.println(f + " reader " + r.getFormat().replace(' ', '_') + " "
                               + r.getDimensionOrder() + " " + r.getSizeX() + " "
                               + r.getSizeY() + " " + r.getSizeZ() + " "
                               + r.getSizeC() + " " + r.getSizeT() + " "
                               + FormatTools.getPixelTypeString(r.getPixelType()));
            int n = r.getSizeX() * r.getSizeY();
            for (int p = 0; p < r.getImageCount(); p++) {
                int[] zct = r.getZCTCoords(p);
                System.out.println(zct[0] + " " + zct[1] + " " + zct[2] + " "
                                   + values(r.openBytes(p), r.getPixelType(),
                                            r.isLittleEndian(), n));
            }
        }
    }

    static void imagej(String f) throws Exception {
        ImagePlus[] imps = BF.openImagePlus(f);
        ImagePlus imp = imps[0];
        System.out.println(f + " imagej " + imp.getWidth() + " " + imp.getHeight() + " "
                           + imp.getNChannels() + " " + imp.getNSlices() + " "
                           + imp.getNFrames() + " " + imp.isHyperStack() + " "
                           + imp.getBitDepth() + " " + imp.getCalibration().pixelWidth
                           + " " + imp.getCalibration().pixelHeight + " "
                           + imp.getCalibration().pixelDepth + " "
                           + imp.getCalibration().getUnit().replace(' ', '_'));
        ImageStack stack = imp.getStack();
        for (int k = 1; k <= stack.getSize(); k++) {
            ImageProcessor ip = stack.getProcessor(k);
            ip.setCalibrationTable(imp.getCalibration().getCTable());
            StringBuilder line = new StringBuilder();
            for (int y = 0; y < ip.getHeight(); y++)
                for (int x = 0; x < ip.getWidth(); x++)
                    line.append(ip.getPixelValue(x, y)).append(' ');
            System.out.println(line.toString().trim());
        }
    }

    public static void main(String[] files) {
        DebugTools.setRootLevel("OFF"); // (its log goes to standard output)
        for (String f : files) {
            try {
                reader(f);
                imagej(f);
            } catch (Exception e) {
                System.out.println(f + " did-not-open " + e);
                System.exit(1);
            }
        }
    }
}
