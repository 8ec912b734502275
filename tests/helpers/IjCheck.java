// IjCheck.java - opens TIFF files with ImageJ 1.x (the core of Fiji), as
// File > Open does, and prints what ImageJ made of each, so that
// tests/sh/tiff.sh can compare it with numpy.  Run in Java's source-file
// mode, headless: java -Djava.awt.headless=true -cp ij.jar IjCheck.java F...
// For each file: "FILE W H C Z T hyperstack bits", then every pixel value
// (calibrated, so signed 16-bit shows signed) of every stack image in
// ImageJ's stack order, one image a line.  Exit 1 if a file does not open.
import ij.ImagePlus;
import ij.ImageStack;
import ij.io.Opener;
import ij.process.ImageProcessor;

public class IjCheck {
    public static void main(String[] files) {
        for (String f : files) {
            ImagePlus imp = new Opener().openImage(f);
            if (imp == null) {
                System.out.println(f + " did-not-open");
                System.exit(1);
            }
            System.out.println(f + " " + imp.getWidth() + " " + imp.getHeight() + " "
                               + imp.getNChannels() + " " + imp.getNSlices() + " "
                               + imp.getNFrames() + " " + imp.isHyperStack() + " "
                               + imp.getBitDepth());
            ImageStack stack = imp.getStack();
            for (int n = 1; n <= stack.getSize(); n++) {
                ImageProcessor ip = stack.getProcessor(n);
                ip.setCalibrationTable(imp.getCalibration().getCTable());
                StringBuilder line = new StringBuilder();
                for (int y = 0; y < ip.getHeight(); y++)
                    for (int x = 0; x < ip.getWidth(); x++)
                        line.append(ip.getPixelValue(x, y)).append(' ');
                System.out.println(line.toString().trim());
            }
        }
    }
}
